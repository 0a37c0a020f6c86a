import { and, eq, getTableColumns, isNotNull, lt, sql } from "drizzle-orm";
import type { Database } from "../../db/client.js";
import { type ExecutionRow, executions, keys, webhookDeliveries } from "../../db/schema/index.js";
import type { DeliveryMessage, MessageQueue } from "../env.js";
import type { Clock } from "./clock.js";
import { executionView } from "./execution-view.js";
import type { HostResolver } from "./host-resolver.js";
import type { SecretBox } from "./secrets.js";
import { signWebhook } from "./signing.js";
import { deliveryRefusal } from "./webhook-destination.js";
import type { WebhookTransport } from "./webhook-transport.js";

export interface DeliveryDeps {
  db: Database;
  secrets: SecretBox;
  clock: Clock;
  transport: WebhookTransport;
  deliveries: MessageQueue<DeliveryMessage>;
  /** Seconds to wait after attempt 1, 2, …; its length is the number of retries. */
  schedule: number[];
  timeoutMs: number;
  allowPrivate: boolean;
  resolver: HostResolver;
  random?: () => number;
}

/** A Queue message can wait at most 12 hours; longer waits are chained. */
const MAX_QUEUE_DELAY_S = 12 * 60 * 60;
/** An attempt in flight holds its execution this long beyond its timeout, so the sweep leaves it be. */
const LEASE_GRACE_MS = 30_000;

export type DeliveryResult = "delivered" | "retrying" | "failed" | "not_due" | "nothing_to_do";

/**
 * One delivery attempt of an execution's final event, to the Standard Webhooks spec. Every
 * attempt is logged; a 2xx delivers, a 410 stops, anything else is retried on the schedule
 * (with jitter, or after `Retry-After` on 429/503) until the schedule runs out.
 */
export async function deliverWebhook(deps: DeliveryDeps, executionId: string, known?: ExecutionRow): Promise<DeliveryResult> {
  const { db, clock } = deps;
  const now = clock.now();
  // A caller that has just written the row (the run consumer) saves the read.
  const current = known ?? (await db.select().from(executions).where(eq(executions.id, executionId)))[0];
  if (current?.webhookStatus !== "pending" || !current.webhookUrl || !current.webhookMessageId) return "nothing_to_do";
  if (current.webhookNextAttemptAt && current.webhookNextAttemptAt.getTime() > now.getTime() + 1000) {
    await enqueue(deps, executionId, (current.webhookNextAttemptAt.getTime() - now.getTime()) / 1000);
    return "not_due";
  }
  // Claim the attempt: its number, and a lease that keeps the sweep away while it is in flight.
  // The key's webhook secret comes back with it, in the same round trip.
  const [claimed] = await db
    .update(executions)
    .set({
      webhookAttempts: sql`${executions.webhookAttempts} + 1`,
      webhookNextAttemptAt: new Date(now.getTime() + deps.timeoutMs + LEASE_GRACE_MS),
    })
    .from(keys)
    .where(
      and(
        eq(executions.id, executionId),
        eq(executions.webhookStatus, "pending"),
        eq(executions.webhookAttempts, current.webhookAttempts),
        eq(keys.id, executions.keyId),
      ),
    )
    .returning({ row: getTableColumns(executions), webhookSecretCiphertext: keys.webhookSecretCiphertext });
  if (!claimed) return "nothing_to_do";
  const { row } = claimed;
  const attempt = row.webhookAttempts;
  // The schedule restarts with each redelivery; attempt numbers keep counting.
  const inCycle = attempt - row.webhookAttemptBase;

  const response = await send(deps, row, claimed.webhookSecretCiphertext, now).catch((error: unknown) => ({
    statusCode: null,
    error: `the delivery could not be prepared: ${error instanceof Error ? error.message : String(error)}`,
    retryAfter: null,
  }));
  const finishedAt = clock.now();
  await db.insert(webhookDeliveries).values({
    executionId,
    attempt,
    at: now,
    statusCode: response.statusCode,
    error: response.error,
    durationMs: finishedAt.getTime() - now.getTime(),
  });

  const ok = response.statusCode !== null && response.statusCode >= 200 && response.statusCode < 300 && response.error === null;
  if (ok || response.statusCode === 410 || inCycle > deps.schedule.length) {
    const status = ok ? "delivered" : "failed";
    await db.update(executions).set({ webhookStatus: status, webhookNextAttemptAt: null }).where(eq(executions.id, executionId));
    return status;
  }
  const delayS = retryDelay(deps, inCycle, response, finishedAt);
  await db
    .update(executions)
    .set({ webhookNextAttemptAt: new Date(finishedAt.getTime() + delayS * 1000) })
    .where(eq(executions.id, executionId));
  await enqueue(deps, executionId, delayS);
  return "retrying";
}

async function send(deps: DeliveryDeps, row: ExecutionRow, webhookSecretCiphertext: string, now: Date) {
  const url = row.webhookUrl as string;
  const refusal = await deliveryRefusal(url, deps);
  if (refusal) return { statusCode: null, error: refusal, retryAfter: null };
  const whsec = await deps.secrets.open(webhookSecretCiphertext, `${row.keyId}/webhook`);
  const messageId = row.webhookMessageId as string;
  const timestamp = Math.floor(now.getTime() / 1000);
  const body = JSON.stringify({ type: "execution.completed", timestamp: now.toISOString(), data: executionView(row) });
  return deps.transport.send({
    url,
    body,
    timeoutMs: deps.timeoutMs,
    headers: {
      "content-type": "application/json",
      "user-agent": "runledger-webhooks/1",
      "webhook-id": messageId,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": await signWebhook(whsec, messageId, timestamp, body),
    },
  });
}

/** The wait before the next attempt: `Retry-After` when a 429 or 503 gives one, else the schedule ±10%. */
export function retryDelay(
  deps: Pick<DeliveryDeps, "schedule" | "random">,
  attempt: number,
  response: { statusCode: number | null; retryAfter: string | null },
  now: Date,
): number {
  if ((response.statusCode === 429 || response.statusCode === 503) && response.retryAfter) {
    const seconds = /^\d+$/.test(response.retryAfter.trim())
      ? Number(response.retryAfter)
      : (Date.parse(response.retryAfter) - now.getTime()) / 1000;
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, 24 * 60 * 60);
  }
  const base = deps.schedule[attempt - 1] ?? deps.schedule.at(-1) ?? 60;
  const jitter = 0.9 + (deps.random ?? Math.random)() * 0.2;
  return base * jitter;
}

async function enqueue(deps: Pick<DeliveryDeps, "deliveries">, executionId: string, delayS: number): Promise<void> {
  const delaySeconds = Math.max(0, Math.min(MAX_QUEUE_DELAY_S, Math.ceil(delayS)));
  await deps.deliveries.send({ executionId }, delaySeconds > 0 ? { delaySeconds } : undefined);
}

/** Marks a final execution's webhook due now: from here on, the sweep will not lose it. */
export async function markDeliveryDue(db: Database, executionId: string, now: Date): Promise<void> {
  await db
    .update(executions)
    .set({ webhookNextAttemptAt: now })
    .where(and(eq(executions.id, executionId), eq(executions.webhookStatus, "pending")));
}

/** Marks a final execution's webhook due now and queues its delivery. */
export async function scheduleDelivery(
  db: Database,
  deliveries: MessageQueue<DeliveryMessage>,
  executionId: string,
  now: Date,
): Promise<void> {
  await markDeliveryDue(db, executionId, now);
  await deliveries.send({ executionId });
}

/** Puts a delivered or failed webhook back to pending for one more attempt (same webhook-id). */
export async function redeliver(
  db: Database,
  deliveries: MessageQueue<DeliveryMessage>,
  row: ExecutionRow,
  now: Date,
): Promise<ExecutionRow> {
  const [updated] = await db
    .update(executions)
    .set({ webhookStatus: "pending", webhookNextAttemptAt: now, webhookAttemptBase: sql`${executions.webhookAttempts}` })
    .where(and(eq(executions.id, row.id), isNotNull(executions.webhookUrl)))
    .returning();
  await deliveries.send({ executionId: row.id });
  return updated ?? row;
}

/** Deliveries whose next attempt is overdue by more than `graceMs`: their queue message was lost. */
export async function requeueOverdueDeliveries(
  db: Database,
  deliveries: MessageQueue<DeliveryMessage>,
  now: Date,
  graceMs = 30_000,
): Promise<number> {
  const overdue = await db
    .select({ id: executions.id })
    .from(executions)
    .where(and(eq(executions.webhookStatus, "pending"), lt(executions.webhookNextAttemptAt, new Date(now.getTime() - graceMs))))
    .limit(500);
  if (overdue.length > 0) await deliveries.sendBatch(overdue.map((row) => ({ body: { executionId: row.id } })));
  return overdue.length;
}

/** The dead-letter path: a delivery that could not even be attempted is marked failed. */
export async function markWebhookFailed(db: Database, executionId: string): Promise<void> {
  await db
    .update(executions)
    .set({ webhookStatus: "failed", webhookNextAttemptAt: null })
    .where(and(eq(executions.id, executionId), eq(executions.webhookStatus, "pending")));
}
