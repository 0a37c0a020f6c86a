import { sql } from "drizzle-orm";
import type { ExecutionRow } from "../../db/schema/index.js";
import type { Services } from "../context.js";
import { ApiError } from "../errors.js";
import { executionFromColumns } from "./rows.js";

type Ledger = Pick<Services, "db" | "clock">;

/**
 * A caller's cancel: queued → canceled at once (no cost, webhook owed); running → canceled, the
 * sandbox to be killed, and what ran settled by the runner (or the reaper) once it is dead.
 */
export async function cancelExecution({ db, clock }: Ledger, keyId: string, id: string): Promise<ExecutionRow> {
  try {
    const result = await db.execute<Record<string, unknown>>(
      sql`select * from runledger_cancel(${keyId}, ${id}, ${clock.now().toISOString()}::timestamptz)`,
    );
    const [raw] = result.rows;
    if (!raw) throw new Error("runledger_cancel returned no row");
    return executionFromColumns(raw);
  } catch (error) {
    const cause = (error as { cause?: { code?: string; detail?: string } }).cause;
    if (cause?.code === "RL404") throw new ApiError("not_found", `no execution ${id}`);
    if (cause?.code === "RL409") throw new ApiError("execution_finished", `execution ${id} already finished with status ${cause.detail}`);
    throw error;
  }
}

/** queued → error: the platform gave up starting it; it costs nothing and its webhook is owed. */
export async function failQueued({ db, clock }: Ledger, id: string, reason: string): Promise<ExecutionRow | null> {
  const result = await db.execute<Record<string, unknown>>(
    sql`select * from runledger_end_queued(array[${id}], 'error', ${clock.now().toISOString()}::timestamptz, ${reason})`,
  );
  const [raw] = result.rows;
  return raw ? executionFromColumns(raw) : null;
}

/** A key revoked; its queued executions canceled (no cost, webhooks owed). Returns those. */
export async function revokeKeyExecutions({ db, clock }: Ledger, keyId: string): Promise<ExecutionRow[]> {
  try {
    const result = await db.execute<Record<string, unknown>>(
      sql`select * from runledger_revoke_key(${keyId}, ${clock.now().toISOString()}::timestamptz)`,
    );
    return result.rows.map(executionFromColumns);
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code === "RL404") throw new ApiError("not_found", `no key ${keyId}`);
    throw error;
  }
}
