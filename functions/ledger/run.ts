import { sql } from "drizzle-orm";
import type { FinalStatus } from "../../db/schema/enums.js";
import type { ExecutionResult, ExecutionRow } from "../../db/schema/index.js";
import type { Services } from "../context.js";
import { executionFromColumns } from "./rows.js";

type Ledger = Pick<Services, "db" | "clock">;

/**
 * queued → running on `sandboxId`: the runner's claim, once its sandbox exists; null when the
 * execution is no longer queued (a cancel came first, or its key was revoked).
 */
export async function claimExecution({ db, clock }: Ledger, id: string, sandboxId: string): Promise<ExecutionRow | null> {
  const result = await db.execute<Record<string, unknown>>(
    sql`select * from runledger_claim(${id}, ${clock.now().toISOString()}::timestamptz, ${sandboxId})`,
  );
  const [raw] = result.rows;
  return raw ? executionFromColumns(raw) : null;
}

/** How a run ended, as the runner (or the reaper) records it. */
export interface Outcome {
  status: FinalStatus;
  finishedAt: Date;
  durationMs: number | null;
  sandboxMs: number | null;
  costMicros: bigint;
  result: ExecutionResult | null;
}

/**
 * running (or canceled while running) → final: recorded and settled in one round trip by
 * `runledger_finish`, which also owes the webhook in the outbox. Null when it was settled already.
 */
export async function finishExecution({ db }: Pick<Services, "db">, id: string, outcome: Outcome): Promise<ExecutionRow | null> {
  const finished = {
    status: outcome.status,
    finished_at: outcome.finishedAt.toISOString(),
    duration_ms: outcome.durationMs,
    sandbox_ms: outcome.sandboxMs,
    cost_micros: outcome.costMicros.toString(),
    result: outcome.result,
  };
  const result = await db.execute<Record<string, unknown>>(sql`select * from runledger_finish(${id}, ${JSON.stringify(finished)}::jsonb)`);
  const [raw] = result.rows;
  return raw ? executionFromColumns(raw) : null;
}

/** The result of a run the platform could not carry out. */
export function platformErrorResult(message: string): ExecutionResult {
  return {
    stdout: "",
    stderr: "",
    text: null,
    results: [],
    error: { name: "PlatformError", value: message, traceback: "" },
    exit_code: null,
    truncated: false,
  };
}
