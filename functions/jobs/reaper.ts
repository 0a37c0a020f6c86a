import { inArray } from "drizzle-orm";
import { executions } from "../../db/schema/index.js";
import type { Services } from "../context.js";
import { completedEventOf, lostRuns, reapLostRun } from "../ledger/index.js";
import { queueDeliveries } from "../services/event-delivery.js";

/** A sandbox younger than this may not be in the ledger yet. */
export const LEAK_MIN_AGE_MS = 60_000;

/**
 * Hard timeouts that hold when a runner dies: executions stuck in `running` past their deadline
 * and the grace are ended as `error`, their sandbox killed by id, their cost settled, and the
 * webhook they owe queued.
 */
export async function reapLostRuns(services: Services): Promise<number> {
  const lost = await lostRuns(services, services.config.REAPER_GRACE_MS);
  for (const row of lost) {
    if (row.sandboxId) await services.sandboxes.kill(row.sandboxId).catch(() => false);
    const finished = await reapLostRun(services, row);
    if (finished) await services.holders.settled([finished.id]);
    const event = finished?.webhookUrl ? await completedEventOf(services, finished.id) : null;
    if (event) await queueDeliveries(services, [event.id]);
  }
  return lost.length;
}

/** Sandboxes tagged as ours whose execution is not running any more (or never was): killed. */
export async function killLeakedSandboxes(services: Pick<Services, "db" | "clock" | "sandboxes">): Promise<number> {
  const { db, clock, sandboxes } = services;
  const now = clock.now().getTime();
  const owned = (await sandboxes.listOwned()).filter((s) => now - s.startedAt.getTime() > LEAK_MIN_AGE_MS);
  if (owned.length === 0) return 0;
  const live = await db
    .select({ id: executions.id, status: executions.status, sandboxId: executions.sandboxId })
    .from(executions)
    .where(
      inArray(
        executions.id,
        owned.map((s) => s.executionId),
      ),
    );
  const running = new Map(live.filter((e) => e.status === "running").map((e) => [e.id, e.sandboxId]));
  const leaked = owned.filter((s) => !running.has(s.executionId) || (running.get(s.executionId) ?? s.id) !== s.id);
  await Promise.all(leaked.map((s) => sandboxes.kill(s.id).catch(() => false)));
  return leaked.length;
}
