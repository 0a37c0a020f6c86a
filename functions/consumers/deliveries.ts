import type { Services } from "../context.js";
import type { DeliveryMessage } from "../env.js";
import { type DeliveryDeps, deliverWebhook, markWebhookFailed } from "../services/webhook-delivery.js";
import { eachMessage } from "./each-message.js";

export function deliveryDeps(services: Services): DeliveryDeps {
  const { db, secrets, clock, webhooks, deliveries, config, resolver } = services;
  return {
    db,
    secrets,
    clock,
    transport: webhooks,
    deliveries,
    schedule: config.WEBHOOK_RETRY_SCHEDULE,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    allowPrivate: config.ALLOW_PRIVATE_WEBHOOKS,
    resolver,
  };
}

/** The delivery queue's consumer: each message is one attempt at one execution's webhook. */
export async function consumeDeliveries(batch: MessageBatch<DeliveryMessage>, services: Services): Promise<void> {
  const deps = deliveryDeps(services);
  await eachMessage(batch, "delivery", 300, (body) => deliverWebhook(deps, body.executionId));
}

/** Messages the delivery queue gave up on: their webhooks are marked failed. */
export async function consumeDeadDeliveries(batch: MessageBatch<DeliveryMessage>, services: Services): Promise<void> {
  for (const message of batch.messages) {
    await markWebhookFailed(services.db, message.body.executionId);
    message.ack();
  }
}
