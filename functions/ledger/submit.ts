import { sql } from "drizzle-orm";
import type { ExecutionRow, KeyRow } from "../../db/schema/index.js";
import type { Services } from "../context.js";
import { ApiError } from "../errors.js";
import { newExecutionId } from "../ids.js";
import { microsToUsd } from "../money.js";
import type { ExecutionCreate } from "../schemas/execution.js";
import { periodStart } from "../services/budget-period.js";
import { sealInputs } from "../services/run-inputs.js";
import { type ExecutionRecord, loadExecution, withWebhook } from "./read.js";
import { executionToColumns } from "./rows.js";

export interface NewExecution {
  input: ExecutionCreate & { template: string };
  ratePicosPerSecond: bigint;
  reserveMicros: bigint;
  idempotency: { key: string; requestHash: string } | null;
}

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * queued: a submit, decided in one round trip by `runledger_submit` under a lock on the key's
 * row, so one key's submits are decided one at a time. It answers a repeated idempotency key,
 * reserves the worst-case cost with one conditional statement, checks the concurrency cap and
 * inserts; a refusal raises and leaves nothing behind. `env` and `files` are sealed first.
 */
export async function submitExecution(
  { db, clock, secrets }: Pick<Services, "db" | "clock" | "secrets">,
  key: KeyRow,
  next: NewExecution,
): Promise<{ execution: ExecutionRecord; replayed: boolean }> {
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
    internet: input.internet ?? key.internetAccess,
    outputs: input.outputs,
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
  };
  const idempotencyUntil = new Date(now.getTime() + IDEMPOTENCY_TTL_MS).toISOString();
  let decided: string | undefined;
  try {
    const result = await db.execute<{ id: string }>(
      sql`select runledger_submit(${JSON.stringify(executionToColumns(row))}::jsonb, ${key.budgetPeriod}, ${next.idempotency?.key ?? null},
        ${next.idempotency?.requestHash ?? null}, ${idempotencyUntil}::timestamptz) as id`,
    );
    decided = result.rows[0]?.id;
  } catch (error) {
    throw submitRefusal(error, next) ?? error;
  }
  if (decided === row.id) return { execution: withWebhook(row, null), replayed: false };
  const earlier = decided ? await loadExecution({ db }, decided) : null;
  if (!earlier) throw new Error(`runledger_submit answered ${decided ?? "nothing"}, which is not an execution`);
  return { execution: earlier, replayed: true };
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
