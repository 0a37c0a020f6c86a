import type { Services } from "../context.js";
import { completedEventOf, giveUpEvent } from "../ledger/index.js";
import type { DeliveryMessage, QueueBatch } from "../queues.js";
import { deliverEvent } from "../services/event-delivery.js";
import { eachMessage } from "./each-message.js";

/** A message queued before the outbox named the execution, not its event. */
type AnyDeliveryMessage = DeliveryMessage | { executionId: string };

async function eventIdOf(services: Services, body: AnyDeliveryMessage): Promise<string | null> {
  if ("eventId" in body) return body.eventId;
  return (await completedEventOf(services, body.executionId))?.id ?? null;
}

/** The delivery queue's consumer: each message is one attempt at one event. */
export async function consumeDeliveries(batch: QueueBatch<AnyDeliveryMessage>, services: Services): Promise<void> {
  await eachMessage(
    batch,
    (body) => `delivering ${"eventId" in body ? body.eventId : body.executionId}`,
    async (body) => {
      const eventId = await eventIdOf(services, body);
      if (eventId) await deliverEvent(services, eventId);
    },
  );
}

/** Messages the delivery queue gave up on: their events are marked failed. */
export async function consumeDeadDeliveries(batch: QueueBatch<AnyDeliveryMessage>, services: Services): Promise<void> {
  for (const message of batch.messages) {
    const eventId = await eventIdOf(services, message.body);
    if (eventId) await giveUpEvent(services, eventId);
    message.ack();
  }
}
