import { sql } from "drizzle-orm";
import type { ExecutionRow, KeyRow } from "../../db/schema/index.js";
import type { Services } from "../context.js";
import { ApiError, INTERNET_MESSAGE, invalidField, REPLAYED_MESSAGE } from "../errors.js";
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
  /** With `timeout_policy: "fit"`: the whole seconds of startup allowance each reservation adds. */
  fitAllowanceSeconds: number | null;
  /** The request's signature, for the submit's statement to record (and to refuse as a replay), with the secret it matched. */
  signature: { signature: string; expiresAt: Date; secretCiphertext: string } | null;
}

/**
 * What a submit's statement decided and committed: a new execution, the one a repeated
 * idempotency key names, or the hour window's refusal (committed too: its alert stays). The
 * request's signature is recorded in each case. Any other refusal raises, and leaves nothing.
 */
export type Submitted =
  | { kind: "accepted" | "replayed"; execution: ExecutionRecord; eventIds: string[] }
  | { kind: "refused"; error: ApiError; eventIds: string[] };

type SubmitAnswer =
  | { id: string; replayed: true }
  | { id: string; timeout_ms: number; reserved_micros: string; hour_start: string | null; internet: boolean; events: string[] }
  | { refused: "hour"; limit: string; spent: string; reserved: string; required: string; events: string[] };

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * queued: a submit, decided in one round trip by `runledger_submit` under a lock on the key's
 * row, so one key's submits are decided one at a time. It answers a repeated idempotency key,
 * fits the timeout when asked, reserves the worst-case cost in the budget period and the hour
 * window with one conditional statement each, checks the concurrency cap, inserts, and puts the
 * budget alerts it set off in the outbox; a refusal leaves nothing behind but the hour's one
 * alert. `env` and `files` are sealed first.
 */
export async function submitExecution(
  { db, clock, secrets }: Pick<Services, "db" | "clock" | "secrets">,
  key: KeyRow,
  next: NewExecution,
): Promise<Submitted> {
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
    tags: input.tags,
    hourStart: null,
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
  let answer: SubmitAnswer | undefined;
  try {
    const signature = next.signature;
    const result = await db.execute<{ answer: SubmitAnswer }>(
      sql`select runledger_submit(${JSON.stringify(executionToColumns(row))}::jsonb, ${key.budgetPeriod}, ${next.idempotency?.key ?? null},
        ${next.idempotency?.requestHash ?? null}, ${idempotencyUntil}::timestamptz, ${next.fitAllowanceSeconds}::integer,
        ${signature?.signature ?? null}, ${signature?.expiresAt.toISOString() ?? null}::timestamptz, ${signature?.secretCiphertext ?? null},
        ${input.internet ?? null}::boolean) as answer`,
    );
    answer = result.rows[0]?.answer;
  } catch (error) {
    throw submitRefusal(error, next) ?? error;
  }
  if (!answer) throw new Error("runledger_submit answered nothing");
  if ("refused" in answer) return { kind: "refused", error: hourRefusal(answer), eventIds: answer.events };
  if ("replayed" in answer) {
    const earlier = await loadExecution({ db }, answer.id);
    if (!earlier) throw new Error(`runledger_submit answered ${answer.id}, which is not an execution`);
    return { kind: "replayed", execution: earlier, eventIds: [] };
  }
  const submitted: ExecutionRow = {
    ...row,
    timeoutMs: answer.timeout_ms,
    reservedMicros: BigInt(answer.reserved_micros),
    hourStart: answer.hour_start ? new Date(answer.hour_start) : null,
    internet: answer.internet,
  };
  return { kind: "accepted", execution: withWebhook(submitted, null), eventIds: answer.events };
}

/** The hour window's refusal: the same code as the period's, its own figures, `window: "hour"`. */
function hourRefusal(answer: Extract<SubmitAnswer, { refused: "hour" }>): ApiError {
  return new ApiError("budget_exceeded", "this execution's worst-case cost does not fit in what remains of the key's hourly limit", {
    window: "hour",
    limit_usd: microsToUsd(BigInt(answer.limit)),
    spent_usd: microsToUsd(BigInt(answer.spent)),
    reserved_usd: microsToUsd(BigInt(answer.reserved)),
    required_usd: microsToUsd(BigInt(answer.required)),
  });
}

/** The API error for a refusal raised by `runledger_submit`, or null for any other failure. */
function submitRefusal(error: unknown, next: NewExecution): ApiError | null {
  const cause = (error as { cause?: { code?: string; detail?: string } }).cause;
  switch (cause?.code) {
    case "RL401":
      return new ApiError("unauthorized", "invalid signature or unknown key");
    case "RLRPL":
      return new ApiError("replayed_request", REPLAYED_MESSAGE);
    case "RL403":
      return new ApiError("key_revoked", "this key has been revoked");
    case "RLTPL":
      return new ApiError("template_not_allowed", `this key may use only: ${cause.detail}`);
    case "RLTMO":
      return invalidField("timeout_ms", `must be at most ${cause.detail} for this key`);
    case "RLNET":
      return new ApiError("internet_not_allowed", INTERNET_MESSAGE);
    case "RL409":
      return new ApiError("idempotency_conflict", "this Idempotency-Key was used with a different request in the last 24 hours");
    case "RL402": {
      const usage = JSON.parse(cause.detail ?? "{}") as { limit: string; spent: string; reserved: string; required?: string };
      return new ApiError("budget_exceeded", "this execution's worst-case cost does not fit in the key's remaining budget", {
        window: "period",
        limit_usd: microsToUsd(BigInt(usage.limit)),
        spent_usd: microsToUsd(BigInt(usage.spent)),
        reserved_usd: microsToUsd(BigInt(usage.reserved)),
        required_usd: microsToUsd(usage.required ? BigInt(usage.required) : next.reserveMicros),
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
