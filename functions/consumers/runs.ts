import type { Services } from "../context.js";
import { completedEventOf, failQueued, loadExecution } from "../ledger/index.js";
import type { QueueBatch, RunMessage } from "../queues.js";
import { queueDeliveries } from "../services/event-delivery.js";
import { eachMessage } from "./each-message.js";

/**
 * The run queue's consumer: each message hands one execution to its run holder (a Durable Object
 * that claims it, runs it and finishes it) and is acknowledged at once, so no run lives inside a
 * queue consumer's 15 minutes.
 */
export async function consumeRuns(batch: QueueBatch<RunMessage>, services: Services): Promise<void> {
  await eachMessage(
    batch,
    (body) => `handing ${body.executionId} to its holder`,
    async (body) => {
      const keyId = body.keyId ?? (await loadExecution(services, body.executionId))?.keyId;
      if (keyId) await services.holders.start(body.executionId, keyId);
    },
  );
}

/** Runs the queue gave up on: a still-queued execution ends as `error`, its reservation released. */
export async function consumeDeadRuns(batch: QueueBatch<RunMessage>, services: Services): Promise<void> {
  for (const message of batch.messages) {
    const failed = await failQueued(services, message.body.executionId, "the run could not be started after repeated attempts");
    if (failed) {
      await services.holders.settled([failed.id]);
      const event = failed.webhookUrl ? await completedEventOf(services, failed.id) : null;
      if (event) await queueDeliveries(services, [event.id]);
    }
    message.ack();
  }
}
