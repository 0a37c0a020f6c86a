import { and, inArray, isNull, sql } from "drizzle-orm";
import { type ExecutionRow, executions } from "../../db/schema/index.js";
import type { Services } from "../context.js";
import { actualCostMicros } from "../services/pricing.js";
import { finishExecution, platformErrorResult } from "./run.js";

/** A sandbox's own deadline is this much beyond its run's, so it dies even if its runner does. */
export const SANDBOX_GRACE_MS = 30_000;

/** Executions still unsettled well past their deadline: their runner is gone. */
export async function lostRuns({ db, clock }: Pick<Services, "db" | "clock">, graceMs: number): Promise<ExecutionRow[]> {
  const now = clock.now();
  return db
    .select()
    .from(executions)
    .where(
      and(
        // A running execution canceled meanwhile is settled by its runner too: if that died, here.
        inArray(executions.status, ["running", "canceled"]),
        isNull(executions.settledAt),
        sql`${executions.startedAt} + (${executions.timeoutMs} + ${graceMs}) * interval '1 millisecond' < ${now.toISOString()}::timestamptz`,
      ),
    )
    .limit(200);
}

/**
 * running → error for a run whose runner died: finished and settled, billed its sandbox's longest
 * possible life (from its claim to its own deadline, never more than was reserved), its webhook
 * owed. The caller kills the sandbox.
 */
export function reapLostRun(deps: Pick<Services, "db" | "clock">, row: ExecutionRow): Promise<ExecutionRow | null> {
  const now = deps.clock.now();
  const sandboxMs =
    row.sandboxId && row.startedAt ? Math.min(now.getTime() - row.startedAt.getTime(), row.timeoutMs + SANDBOX_GRACE_MS) : null;
  return finishExecution(deps, row.id, {
    status: "error",
    finishedAt: now,
    durationMs: null,
    sandboxMs,
    costMicros: actualCostMicros(row.ratePicosPerSecond, sandboxMs),
    result: platformErrorResult("the run was interrupted before it could report; its sandbox was killed"),
  });
}
