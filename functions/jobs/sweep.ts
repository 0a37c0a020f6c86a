import { and, eq, lt } from "drizzle-orm";
import { executions, idempotencyKeys, requestNonces } from "../../db/schema/index.js";
import type { Services } from "../context.js";
import { outstandingWork, purgeExpiredInputs } from "../ledger/index.js";
import { requeueOverdueEvents } from "../services/event-delivery.js";
import { killLeakedSandboxes, LEAK_MIN_AGE_MS, reapLostRuns } from "./reaper.js";

const DAY_MS = 24 * 60 * 60 * 1000;
/** A queued execution older than this has lost its queue message: it is sent again. */
const REQUEUE_AFTER_MS = 60_000;

export interface SweepReport {
  requeued: number;
  redelivered: number;
  reaped: number;
  leaked: number;
  purged: number;
  /** Whether anything is left to watch: the sweeper sweeps again only then. */
  busy: boolean;
  /** When the next inputs are due to be erased, if any are kept. */
  nextPurgeAt: Date | null;
}

/**
 * One sweep: forget expired nonces and idempotency keys (bounded storage), re-queue executions
 * whose queue message was lost (the holder makes a duplicate harmless) and events whose next
 * attempt is overdue, end runs whose holder died, kill sandboxes that no running execution owns,
 * and erase the inputs of executions past their retention. Then say whether there is more to
 * watch: a run that ended lately still is, until a sandbox it leaked is old enough to be found.
 */
export async function sweep(services: Services, intervalMs: number): Promise<SweepReport> {
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
  const retentionMs = services.config.INPUT_RETENTION_DAYS * DAY_MS;
  const purged = await purgeExpiredInputs(services, retentionMs);
  const outstanding = await outstandingWork(services, { recentMs: LEAK_MIN_AGE_MS + intervalMs, retentionMs });
  return { requeued: stale.length, redelivered, reaped, leaked, purged, ...outstanding };
}

/** Replay and idempotency storage stays bounded: what has expired is forgotten. */
export async function forgetExpiredRequests(services: Pick<Services, "db" | "clock">): Promise<void> {
  const now = services.clock.now();
  await services.db.delete(requestNonces).where(lt(requestNonces.expiresAt, now));
  await services.db.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, now));
}
