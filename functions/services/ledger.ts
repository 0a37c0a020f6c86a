import { and, desc, eq, inArray, isNull, lt, sql } from "drizzle-orm";
import type { Database } from "../../db/client.js";
import { type ExecutionResult, type ExecutionRow, type ExecutionStatus, executions, type KeyRow } from "../../db/schema/index.js";
import { ApiError } from "../errors.js";
import { newExecutionId, newMessageId } from "../ids.js";
import { microsToUsd } from "../money.js";
import type { ExecutionCreate } from "../schemas/execution.js";
import { periodStart } from "./budget-period.js";
import type { Clock } from "./clock.js";
import { asColumns, fromColumns } from "./execution-columns.js";
import { sealInputs } from "./run-inputs.js";
import type { SecretBox } from "./secrets.js";

type Tx = Parameters<Parameters<Database["transaction"]>[0]>[0];

export interface NewExecution {
  input: ExecutionCreate & { template: string };
  ratePicosPerSecond: bigint;
  reserveMicros: bigint;
  idempotency: { key: string; requestHash: string } | null;
}

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Records a submitted execution in one round trip: `runledger_submit` (a migration) decides it
 * under a lock on the key's row, so one key's submits are decided one at a time. It answers a
 * repeated idempotency key, reserves the worst-case cost with one conditional statement, checks
 * the concurrency cap and inserts; a refusal raises and leaves nothing behind.
 */
export async function submitExecution(
  db: Database,
  key: KeyRow,
  next: NewExecution,
  clock: Clock,
  secrets: SecretBox,
): Promise<{ row: ExecutionRow; replayed: boolean }> {
  const now = clock.now();
  const { input } = next;
  const id = newExecutionId(now.getTime());
  const row: ExecutionRow = {
    id,
    keyId: key.id,
    status: "queued",
    language: input.language,
    template: input.template,
    timeoutMs: input.timeout_ms,
    code: input.code,
    env: {},
    files: [],
    inputsCiphertext: await sealInputs(secrets, id, { env: input.env, files: input.files }),
    inputsPurgedAt: null,
    metadata: input.metadata,
    webhookUrl: input.webhook_url ?? null,
    createdAt: now,
    startedAt: null,
    finishedAt: null,
    sandboxId: null,
    durationMs: null,
    sandboxMs: null,
    periodStart: periodStart(key.budgetPeriod, now, key.createdAt),
    ratePicosPerSecond: next.ratePicosPerSecond,
    reservedMicros: next.reserveMicros,
    costMicros: null,
    settledAt: null,
    result: null,
    webhookStatus: input.webhook_url ? "pending" : null,
    webhookAttempts: 0,
    webhookAttemptBase: 0,
    webhookMessageId: input.webhook_url ? newMessageId() : null,
    webhookNextAttemptAt: null,
  };
  const idempotencyUntil = new Date(now.getTime() + IDEMPOTENCY_TTL_MS).toISOString();
  let decided: string | undefined;
  try {
    const result = await db.execute<{ id: string }>(
      sql`select runledger_submit(${JSON.stringify(asColumns(row))}::jsonb, ${key.budgetPeriod}, ${next.idempotency?.key ?? null},
        ${next.idempotency?.requestHash ?? null}, ${idempotencyUntil}::timestamptz) as id`,
    );
    decided = result.rows[0]?.id;
  } catch (error) {
    throw submitRefusal(error, next) ?? error;
  }
  if (decided === row.id) return { row, replayed: false };
  const earlier = decided ? await loadExecution(db, decided) : null;
  if (!earlier) throw new Error(`runledger_submit answered ${decided ?? "nothing"}, which is not an execution`);
  return { row: earlier, replayed: true };
}

/** The API error for a refusal raised by `runledger_submit`, or null for any other failure. */
function submitRefusal(error: unknown, next: NewExecution): ApiError | null {
  const cause = (error as { cause?: { code?: string; detail?: string } }).cause;
  switch (cause?.code) {
    case "RL401":
      return new ApiError("unauthorized", "invalid signature or unknown key");
    case "RL403":
      return new ApiError("key_revoked", "this key has been revoked");
    case "RL409":
      return new ApiError("idempotency_conflict", "this Idempotency-Key was used with a different request in the last 24 hours");
    case "RL402": {
      const usage = JSON.parse(cause.detail ?? "{}") as { limit: string; spent: string; reserved: string };
      return new ApiError("budget_exceeded", "this execution's worst-case cost does not fit in the key's remaining budget", {
        limit_usd: microsToUsd(BigInt(usage.limit)),
        spent_usd: microsToUsd(BigInt(usage.spent)),
        reserved_usd: microsToUsd(BigInt(usage.reserved)),
        required_usd: microsToUsd(next.reserveMicros),
      });
    }
    case "RL429":
      return new ApiError("concurrency_limit", `this key already has ${cause.detail} executions queued or running`, undefined, {
        "Retry-After": "1",
      });
    default:
      return null;
  }
}

export async function getExecution(db: Database, keyId: string, id: string): Promise<ExecutionRow> {
  const [row] = await db
    .select()
    .from(executions)
    .where(and(eq(executions.id, id), eq(executions.keyId, keyId)));
  if (!row) throw new ApiError("not_found", `no execution ${id}`);
  return row;
}

export async function listExecutions(
  db: Database,
  keyId: string,
  options: { status?: ExecutionStatus; limit: number; cursor?: string },
): Promise<{ rows: ExecutionRow[]; nextCursor: string | null }> {
  const conditions = [eq(executions.keyId, keyId)];
  if (options.status) conditions.push(eq(executions.status, options.status));
  if (options.cursor) conditions.push(lt(executions.id, options.cursor));
  const rows = await db
    .select()
    .from(executions)
    .where(and(...conditions))
    .orderBy(desc(executions.id))
    .limit(options.limit + 1);
  const page = rows.slice(0, options.limit);
  return { rows: page, nextCursor: rows.length > options.limit ? (page.at(-1)?.id ?? null) : null };
}

/** A key's latest executions, newest first, without their code or output: a summary line each. */
export async function latestExecutions(db: Database, keyId: string, limit: number) {
  return db
    .select({
      id: executions.id,
      createdAt: executions.createdAt,
      language: executions.language,
      template: executions.template,
      status: executions.status,
      durationMs: executions.durationMs,
      costMicros: executions.costMicros,
    })
    .from(executions)
    .where(eq(executions.keyId, keyId))
    .orderBy(desc(executions.id))
    .limit(limit);
}

/** Moves a queued execution to running; null when another consumer (or a cancel) got there first. */
export async function claimExecution(db: Database, id: string, now: Date): Promise<ExecutionRow | null> {
  const [row] = await db
    .update(executions)
    .set({ status: "running", startedAt: now })
    .where(and(eq(executions.id, id), eq(executions.status, "queued")))
    .returning();
  return row ?? null;
}

/** Notes the sandbox running an execution; false when it was canceled meanwhile. */
export async function recordSandbox(db: Database, id: string, sandboxId: string): Promise<boolean> {
  const rows = await db
    .update(executions)
    .set({ sandboxId })
    .where(and(eq(executions.id, id), eq(executions.status, "running")))
    .returning({ id: executions.id });
  return rows.length > 0;
}

export interface Outcome {
  status: Exclude<ExecutionStatus, "queued" | "running">;
  finishedAt: Date;
  durationMs: number | null;
  sandboxMs: number | null;
  costMicros: bigint;
  result: ExecutionResult | null;
}

/**
 * Records an execution's final state and settles its money in one round trip
 * (`runledger_finish`, a migration): the reservation is released and the actual cost added.
 * Settling twice is impossible: only an unsettled row matches. A cancel that came first keeps its
 * status, and a pending webhook becomes due.
 */
export async function finishExecution(db: Database, id: string, outcome: Outcome): Promise<ExecutionRow | null> {
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
  return raw ? fromColumns(raw) : null;
}

type SettledRow = Pick<
  ExecutionRow,
  "keyId" | "periodStart" | "reservedMicros" | "costMicros" | "createdAt" | "template" | "language" | "status" | "sandboxMs"
>;

/** Releases a settled execution's reservation, adds its cost, and counts it in the report rollup. */
async function settle(tx: Tx, row: SettledRow): Promise<void> {
  await tx.execute(sql`select runledger_settle(${row.keyId}, ${row.periodStart.toISOString()}::timestamptz,
    ${row.reservedMicros}::bigint, ${row.costMicros ?? 0n}::bigint, ${row.createdAt.toISOString()}::timestamptz,
    ${row.template}, ${row.language}, ${row.status}, ${BigInt(row.sandboxMs ?? 0)}::bigint)`);
}

/**
 * Cancels a queued or running execution. A queued one is settled at once (it cost nothing); a
 * running one is settled by its consumer once its sandbox is dead. Returns the sandbox to kill.
 */
export async function cancelExecution(
  db: Database,
  keyId: string,
  id: string,
  now: Date,
): Promise<{ row: ExecutionRow; sandboxId: string | null }> {
  return db.transaction(async (tx) => {
    const [prior] = await tx
      .select({ status: executions.status })
      .from(executions)
      .where(and(eq(executions.id, id), eq(executions.keyId, keyId)))
      .for("update");
    if (!prior) throw new ApiError("not_found", `no execution ${id}`);
    if (prior.status !== "queued" && prior.status !== "running") {
      throw new ApiError("execution_finished", `execution ${id} already finished with status ${prior.status}`);
    }
    const wasQueued = prior.status === "queued";
    const [row] = await tx
      .update(executions)
      .set({ status: "canceled", finishedAt: now, ...(wasQueued ? { costMicros: 0n, settledAt: now } : {}) })
      .where(eq(executions.id, id))
      .returning();
    if (!row) throw new Error("canceled row vanished");
    if (wasQueued) await settle(tx, row);
    return { row, sandboxId: wasQueued ? null : row.sandboxId };
  });
}

/** Ends a queued execution as `error` (the platform could not run it) and releases its reservation. */
export async function failQueued(db: Database, id: string, now: Date, reason: string): Promise<ExecutionRow | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(executions)
      .set({
        status: "error",
        finishedAt: now,
        costMicros: 0n,
        settledAt: now,
        result: {
          stdout: "",
          stderr: "",
          text: null,
          results: [],
          error: { name: "PlatformError", value: reason, traceback: "" },
          exit_code: null,
          truncated: false,
        },
      })
      .where(and(eq(executions.id, id), eq(executions.status, "queued")))
      .returning();
    if (row) await settle(tx, row);
    return row ?? null;
  });
}

/** Cancels every queued execution of a key and releases their reservations (a revoked key). */
export async function cancelQueued(db: Database, keyId: string, now: Date): Promise<ExecutionRow[]> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(executions)
      .set({ status: "canceled", finishedAt: now, costMicros: 0n, settledAt: now })
      .where(and(eq(executions.keyId, keyId), eq(executions.status, "queued")))
      .returning();
    for (const row of rows) await settle(tx, row);
    return rows;
  });
}

/** Executions still unsettled well past their deadline after they started: their consumer is gone. */
export async function lostRuns(db: Database, now: Date, graceMs: number): Promise<ExecutionRow[]> {
  return db
    .select()
    .from(executions)
    .where(
      and(
        // A running execution canceled meanwhile is settled by its consumer too: if that died, here.
        inArray(executions.status, ["running", "canceled"]),
        isNull(executions.settledAt),
        sql`${executions.startedAt} + (${executions.timeoutMs} + ${graceMs}) * interval '1 millisecond' < ${now.toISOString()}::timestamptz`,
      ),
    )
    .limit(200);
}

export async function loadExecution(db: Database, id: string): Promise<ExecutionRow | null> {
  const [row] = await db.select().from(executions).where(eq(executions.id, id));
  return row ?? null;
}
