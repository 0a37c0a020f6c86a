import { and, desc, eq, inArray, isNull, lt, sql } from "drizzle-orm";
import type { Database } from "../../db/client.js";
import {
  budgetUsage,
  costRollups,
  type ExecutionResult,
  type ExecutionRow,
  type ExecutionStatus,
  executions,
  idempotencyKeys,
  type KeyRow,
} from "../../db/schema/index.js";
import { ApiError } from "../errors.js";
import { newExecutionId, newMessageId } from "../ids.js";
import { microsToUsd } from "../money.js";
import type { ExecutionCreate } from "../schemas/execution.js";
import { periodStart } from "./budget-period.js";
import type { Clock } from "./clock.js";

type Tx = Parameters<Parameters<Database["transaction"]>[0]>[0];

export interface NewExecution {
  input: ExecutionCreate & { template: string };
  ratePicosPerSecond: bigint;
  reserveMicros: bigint;
  idempotency: { key: string; requestHash: string } | null;
}

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Records a submitted execution: in one transaction, under a lock on the key's row (so that one
 * key's submits are decided one at a time), it answers a repeated idempotency key, reserves the
 * worst-case cost with one conditional statement, checks the concurrency cap, and inserts.
 */
export async function submitExecution(
  db: Database,
  key: KeyRow,
  next: NewExecution,
  clock: Clock,
): Promise<{ row: ExecutionRow; replayed: boolean }> {
  return db.transaction(async (tx) => {
    const now = clock.now();
    // "No key update": settlements insert rows that reference this key and take a key-share lock
    // on it while holding the budget row; a plain "for update" here deadlocks with them.
    const locked = await tx.execute<{
      revoked_at: string | null;
      budget_micros: string;
      budget_period: KeyRow["budgetPeriod"];
      max_concurrency: number;
    }>(sql`select revoked_at, budget_micros, budget_period, max_concurrency from keys where id = ${key.id} for no key update`);
    const current = locked.rows[0];
    if (!current) throw new ApiError("unauthorized", "invalid signature or unknown key");
    if (current.revoked_at !== null) throw new ApiError("key_revoked", "this key has been revoked");

    if (next.idempotency) {
      const replay = await replayOf(tx, key.id, next.idempotency, now);
      if (replay) return { row: replay, replayed: true };
    }

    const period = periodStart(current.budget_period, now, key.createdAt);
    const limit = BigInt(current.budget_micros);
    const reserved = await tx.execute(sql`
      insert into budget_usage as u (key_id, period_start, spent_micros, reserved_micros)
      select ${key.id}, ${period.toISOString()}, 0, ${next.reserveMicros} where ${next.reserveMicros}::bigint <= ${limit}::bigint
      on conflict (key_id, period_start) do update
        set reserved_micros = u.reserved_micros + excluded.reserved_micros
        where u.spent_micros + u.reserved_micros + excluded.reserved_micros <= ${limit}::bigint
      returning u.key_id`);
    if (reserved.rows.length === 0) {
      const [usage] = await tx
        .select()
        .from(budgetUsage)
        .where(and(eq(budgetUsage.keyId, key.id), eq(budgetUsage.periodStart, period)));
      throw new ApiError("budget_exceeded", "this execution's worst-case cost does not fit in the key's remaining budget", {
        limit_usd: microsToUsd(limit),
        spent_usd: microsToUsd(usage?.spentMicros ?? 0n),
        reserved_usd: microsToUsd(usage?.reservedMicros ?? 0n),
        required_usd: microsToUsd(next.reserveMicros),
      });
    }

    const active = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(executions)
      .where(and(eq(executions.keyId, key.id), inArray(executions.status, ["queued", "running"])));
    if ((active[0]?.n ?? 0) >= current.max_concurrency) {
      throw new ApiError("concurrency_limit", `this key already has ${current.max_concurrency} executions queued or running`, undefined, {
        "Retry-After": "1",
      });
    }

    const { input } = next;
    const [row] = await tx
      .insert(executions)
      .values({
        id: newExecutionId(now.getTime()),
        keyId: key.id,
        status: "queued",
        language: input.language,
        template: input.template,
        timeoutMs: input.timeout_ms,
        code: input.code,
        env: input.env,
        files: input.files,
        metadata: input.metadata,
        webhookUrl: input.webhook_url ?? null,
        webhookStatus: input.webhook_url ? "pending" : null,
        webhookMessageId: input.webhook_url ? newMessageId() : null,
        createdAt: now,
        periodStart: period,
        ratePicosPerSecond: next.ratePicosPerSecond,
        reservedMicros: next.reserveMicros,
      })
      .returning();
    if (!row) throw new Error("insert returned no row");

    if (next.idempotency) {
      await tx
        .insert(idempotencyKeys)
        .values({
          keyId: key.id,
          idempotencyKey: next.idempotency.key,
          requestHash: next.idempotency.requestHash,
          executionId: row.id,
          expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
        })
        .onConflictDoUpdate({
          target: [idempotencyKeys.keyId, idempotencyKeys.idempotencyKey],
          set: { requestHash: next.idempotency.requestHash, executionId: row.id, expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS) },
        });
    }
    return { row, replayed: false };
  });
}

async function replayOf(tx: Tx, keyId: string, idempotency: { key: string; requestHash: string }, now: Date): Promise<ExecutionRow | null> {
  const [previous] = await tx
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.keyId, keyId), eq(idempotencyKeys.idempotencyKey, idempotency.key)));
  if (!previous || previous.expiresAt <= now) return null;
  if (previous.requestHash !== idempotency.requestHash) {
    throw new ApiError("idempotency_conflict", "this Idempotency-Key was used with a different request in the last 24 hours");
  }
  const [row] = await tx.select().from(executions).where(eq(executions.id, previous.executionId));
  return row ?? null;
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
 * Records an execution's final state and settles its money in one transaction: the reservation
 * is released and the actual cost added. Settling twice is impossible: only an unsettled row
 * matches. A cancel that came first keeps its status.
 */
export async function finishExecution(db: Database, id: string, outcome: Outcome): Promise<ExecutionRow | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(executions)
      .set({
        status: sql`case when ${executions.status} = 'canceled' then 'canceled' else ${outcome.status} end`,
        finishedAt: sql`coalesce(${executions.finishedAt}, ${outcome.finishedAt.toISOString()}::timestamptz)`,
        durationMs: outcome.durationMs,
        sandboxMs: outcome.sandboxMs,
        // Never more than the reservation: the worst case quoted at submit is what a caller can owe.
        costMicros: sql`least(${outcome.costMicros}::bigint, ${executions.reservedMicros})`,
        result: outcome.result,
        settledAt: outcome.finishedAt,
      })
      .where(and(eq(executions.id, id), isNull(executions.settledAt), inArray(executions.status, ["running", "canceled"])))
      .returning();
    if (!row) return null;
    await settle(tx, row);
    return row;
  });
}

type SettledRow = Pick<
  ExecutionRow,
  "keyId" | "periodStart" | "reservedMicros" | "costMicros" | "createdAt" | "template" | "language" | "status" | "sandboxMs"
>;

/** Releases a settled execution's reservation, adds its cost, and counts it in the report rollup. */
async function settle(tx: Tx, row: SettledRow): Promise<void> {
  const cost = row.costMicros ?? 0n;
  await tx
    .update(budgetUsage)
    .set({
      reservedMicros: sql`${budgetUsage.reservedMicros} - ${row.reservedMicros}`,
      spentMicros: sql`${budgetUsage.spentMicros} + ${cost}`,
    })
    .where(and(eq(budgetUsage.keyId, row.keyId), eq(budgetUsage.periodStart, row.periodStart)));
  const sandboxMs = BigInt(row.sandboxMs ?? 0);
  await tx
    .insert(costRollups)
    .values({
      keyId: row.keyId,
      day: row.createdAt.toISOString().slice(0, 10),
      template: row.template,
      language: row.language,
      status: row.status,
      executions: 1,
      sandboxMs,
      costMicros: cost,
    })
    .onConflictDoUpdate({
      target: [costRollups.keyId, costRollups.day, costRollups.template, costRollups.language, costRollups.status],
      set: {
        executions: sql`${costRollups.executions} + 1`,
        sandboxMs: sql`${costRollups.sandboxMs} + ${sandboxMs}`,
        costMicros: sql`${costRollups.costMicros} + ${cost}`,
      },
    });
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
