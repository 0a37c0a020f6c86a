import type { EventRow } from "../../db/schema/index.js";
import type { Services } from "../context.js";
import { claimAttempt, loadEvent, loadExecution, overdueEvents, recordAttempt, withWebhook } from "../ledger/index.js";
import { MAX_QUEUE_DELAY_S } from "../queues.js";
import { executionView } from "./execution-view.js";
import { signWebhook } from "./signing.js";
import { deliveryRefusal } from "./webhook-destination.js";

export type DeliveryServices = Pick<Services, "db" | "clock" | "secrets" | "webhooks" | "deliveries" | "resolver" | "config"> & {
  random?: () => number;
};

/** An attempt in flight holds its event this long beyond its timeout, so the sweep leaves it be. */
const LEASE_GRACE_MS = 30_000;
/** A pending event whose next attempt is overdue by more than this has lost its queue message. */
const OVERDUE_GRACE_MS = 30_000;

export type DeliveryResult = "delivered" | "retrying" | "failed" | "not_due" | "nothing_to_do";

/**
 * One attempt to deliver an event from the outbox, to the Standard Webhooks spec. Every attempt is
 * logged; a 2xx delivers, a 410 stops, anything else is retried on the schedule (with jitter, or
 * after `Retry-After` on 429/503) until the schedule runs out.
 */
export async function deliverEvent(services: DeliveryServices, eventId: string): Promise<DeliveryResult> {
  const { clock, config } = services;
  const now = clock.now();
  const claimed = await claimAttempt(services, eventId, new Date(now.getTime() + config.WEBHOOK_TIMEOUT_MS + LEASE_GRACE_MS));
  if (!claimed) return notClaimed(services, eventId);
  const { event, webhookSecretCiphertext } = claimed;
  const attempt = event.attempts;
  // The schedule restarts with each redelivery; attempt numbers keep counting.
  const inCycle = attempt - event.attemptBase;

  const response = await send(services, event, webhookSecretCiphertext, now).catch((error: unknown) => ({
    statusCode: null,
    error: `the delivery could not be prepared: ${error instanceof Error ? error.message : String(error)}`,
    retryAfter: null,
  }));
  const finishedAt = clock.now();
  const ok = response.statusCode !== null && response.statusCode >= 200 && response.statusCode < 300 && response.error === null;
  const attemptLog = {
    attempt,
    at: now,
    statusCode: response.statusCode,
    error: response.error,
    durationMs: finishedAt.getTime() - now.getTime(),
  };
  const schedule = config.WEBHOOK_RETRY_SCHEDULE;
  if (ok || response.statusCode === 410 || inCycle > schedule.length) {
    const status = ok ? "delivered" : "failed";
    if (!ok) console.warn(failedAttemptLine(event, response, "no more attempts"));
    await recordAttempt(services, eventId, { ...attemptLog, status, nextAttemptAt: null });
    return status;
  }
  const delayS = retryDelay({ schedule, random: services.random }, inCycle, response, finishedAt);
  console.warn(failedAttemptLine(event, response, `next attempt in ${Math.round(delayS)} s`));
  await recordAttempt(services, eventId, {
    ...attemptLog,
    status: "pending",
    nextAttemptAt: new Date(finishedAt.getTime() + delayS * 1000),
  });
  await enqueue(services, eventId, delayS);
  return "retrying";
}

/**
 * The log's one line for a failed attempt: the event, its attempt, the destination's host (never its
 * path or query, which may carry a receiver's token), what went wrong, what happens next.
 */
export function failedAttemptLine(
  event: Pick<EventRow, "id" | "type" | "executionId" | "url" | "attempts">,
  response: { statusCode: number | null; error: string | null },
  next: string,
): string {
  let host = "an unparsable URL";
  try {
    host = new URL(event.url).host;
  } catch {
    // stays as said
  }
  const why = response.error ? oneLine(response.error.replaceAll(event.url, host)) : `answered ${response.statusCode}`;
  const subject = event.executionId ? `${event.type} of ${event.executionId}` : event.type;
  return `webhook ${event.id} (${subject}) to ${host}, attempt ${event.attempts}, failed: ${why}; ${next}`;
}

const oneLine = (text: string) => (text.split("\n")[0] ?? "").replace(/\s+/g, " ").slice(0, 200);

/** An event that could not be claimed: not due yet (wait for it again), or nothing to do. */
async function notClaimed(services: DeliveryServices, eventId: string): Promise<DeliveryResult> {
  const event = await loadEvent(services, eventId);
  if (event?.status !== "pending" || !event.nextAttemptAt) return "nothing_to_do";
  await enqueue(services, eventId, (event.nextAttemptAt.getTime() - services.clock.now().getTime()) / 1000);
  return "not_due";
}

async function send(services: DeliveryServices, event: EventRow, webhookSecretCiphertext: string, now: Date) {
  const refusal = await deliveryRefusal(event.url, { allowPrivate: services.config.ALLOW_PRIVATE_WEBHOOKS, resolver: services.resolver });
  if (refusal) return { statusCode: null, error: refusal, retryAfter: null };
  const whsec = await services.secrets.open(webhookSecretCiphertext, `${event.keyId}/webhook`);
  const timestamp = Math.floor(now.getTime() / 1000);
  const body = JSON.stringify({ type: event.type, timestamp: now.toISOString(), data: await eventData(services, event) });
  return services.webhooks.send({
    url: event.url,
    body,
    timeoutMs: services.config.WEBHOOK_TIMEOUT_MS,
    headers: {
      "content-type": "application/json",
      "user-agent": "runledger-webhooks/1",
      "webhook-id": event.id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": await signWebhook(whsec, event.id, timestamp, body),
    },
  });
}

/** An execution's event carries the execution as it is now; an account event, what it recorded. */
async function eventData(services: DeliveryServices, event: EventRow): Promise<unknown> {
  if (!event.executionId) return event.data;
  const execution = await loadExecution(services, event.executionId);
  if (!execution) throw new Error(`the execution ${event.executionId} is gone`);
  // As it stands during this attempt: pending, this attempt counted.
  return executionView(withWebhook(execution, { status: "pending", attempts: event.attempts }));
}

/** The wait before the next attempt: `Retry-After` when a 429 or 503 gives one, else the schedule ±10%. */
export function retryDelay(
  policy: { schedule: number[]; random?: () => number },
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
  const base = policy.schedule[attempt - 1] ?? policy.schedule.at(-1) ?? 60;
  const jitter = 0.9 + (policy.random ?? Math.random)() * 0.2;
  return base * jitter;
}

async function enqueue(services: Pick<Services, "deliveries">, eventId: string, delayS: number): Promise<void> {
  const delaySeconds = Math.max(0, Math.min(MAX_QUEUE_DELAY_S, Math.ceil(delayS)));
  await services.deliveries.send({ eventId }, delaySeconds > 0 ? { delaySeconds } : undefined);
}

/** Queues an attempt of each event now (a just-owed event, a redelivery): the sweep covers a lost message. */
export async function queueDeliveries(services: Pick<Services, "deliveries">, eventIds: string[]): Promise<void> {
  if (eventIds.length > 0) await services.deliveries.sendBatch(eventIds.map((eventId) => ({ body: { eventId } })));
}

/** The sweep: events whose next attempt is overdue have lost their queue message, and are queued again. */
export async function requeueOverdueEvents(services: Pick<Services, "db" | "clock" | "deliveries">): Promise<number> {
  const overdue = await overdueEvents(services, OVERDUE_GRACE_MS);
  await queueDeliveries(services, overdue);
  return overdue.length;
}
