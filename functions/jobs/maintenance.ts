import { and, eq, lt } from "drizzle-orm";
import { executions, idempotencyKeys, requestNonces } from "../../db/schema/index.js";
import type { Services } from "../context.js";
import { purgeExpiredInputs } from "../ledger/index.js";
import { requeueOverdueEvents } from "../services/event-delivery.js";
import { killLeakedSandboxes, reapLostRuns } from "./reaper.js";

const DAY_MS = 24 * 60 * 60 * 1000;
/** A queued execution older than this has lost its queue message: it is sent again. */
const REQUEUE_AFTER_MS = 60_000;

/**
 * The cron's work: forget expired nonces and idempotency keys (bounded storage), re-queue
 * executions whose queue message was lost (the runner's claim makes a duplicate harmless) and
 * events whose next attempt is overdue, end runs whose runner died, kill sandboxes that no running
 * execution owns, and erase the inputs of executions past their retention.
 */
export async function runMaintenance(services: Services): Promise<Record<string, number>> {
  const { db, clock, queue } = services;
  const now = clock.now();
  await forgetExpiredRequests(services);
  const stale = await db
    .select({ id: executions.id, keyId: executions.keyId })
    .from(executions)
    .where(and(eq(executions.status, "queued"), lt(executions.createdAt, new Date(now.getTime() - REQUEUE_AFTER_MS))))
    .limit(1000);
  if (stale.length > 0) await queue.sendBatch(stale.map((row) => ({ body: { executionId: row.id, keyId: row.keyId } })));
  const redelivered = await requeueOverdueEvents(services);
  const reaped = await reapLostRuns(services);
  const leaked = await killLeakedSandboxes(services).catch(() => 0);
  const purged = await purgeExpiredInputs(services, services.config.INPUT_RETENTION_DAYS * DAY_MS);
  return { requeued: stale.length, redelivered, reaped, leaked, purged };
}

/** Replay and idempotency storage stays bounded: what has expired is forgotten. */
export async function forgetExpiredRequests(services: Pick<Services, "db" | "clock">): Promise<void> {
  const now = services.clock.now();
  await services.db.delete(requestNonces).where(lt(requestNonces.expiresAt, now));
  await services.db.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, now));
}
