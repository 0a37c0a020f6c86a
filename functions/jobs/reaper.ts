import { inArray } from "drizzle-orm";
import { executions } from "../../db/schema/index.js";
import type { Services } from "../context.js";
import { finishExecution, lostRuns } from "../services/ledger.js";
import { actualCostMicros } from "../services/pricing.js";
import { SANDBOX_GRACE_MS } from "../services/run-execution.js";
import { scheduleDelivery } from "../services/webhook-delivery.js";

/** A sandbox younger than this may not be in the ledger yet. */
const LEAK_MIN_AGE_MS = 60_000;

/**
 * Hard timeouts that hold when a consumer dies: executions stuck in `running` are ended as
 * `error`, their sandbox killed by id, their cost settled and their webhook sent.
 */
export async function reapLostRuns(services: Services, graceMs: number): Promise<number> {
  const { db, clock, sandboxes, deliveries } = services;
  const now = clock.now();
  const lost = await lostRuns(db, now, graceMs);
  for (const row of lost) {
    if (row.sandboxId) await sandboxes.kill(row.sandboxId).catch(() => false);
    // The sandbox lived at most until its own deadline: bill that, never more than was reserved.
    const sandboxMs =
      row.sandboxId && row.startedAt ? Math.min(now.getTime() - row.startedAt.getTime(), row.timeoutMs + SANDBOX_GRACE_MS) : null;
    const finished = await finishExecution(db, row.id, {
      status: "error",
      finishedAt: now,
      durationMs: null,
      sandboxMs,
      costMicros: actualCostMicros(row.ratePicosPerSecond, sandboxMs),
      result: {
        stdout: "",
        stderr: "",
        text: null,
        results: [],
        error: { name: "PlatformError", value: "the run was interrupted before it could report; its sandbox was killed", traceback: "" },
        exit_code: null,
        truncated: false,
      },
    });
    if (finished?.webhookUrl) await scheduleDelivery(db, deliveries, finished.id, now);
  }
  return lost.length;
}

/** Sandboxes tagged as ours whose execution is not running any more (or never was): killed. */
export async function killLeakedSandboxes(services: Services): Promise<number> {
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
