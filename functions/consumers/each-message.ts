import { describeForLog } from "../log.js";
import type { QueueBatch } from "../queues.js";
import { backoffMs, QUEUE_MESSAGES } from "../retry.js";

/**
 * Handles a batch's messages side by side and acknowledges each explicitly; one that throws is
 * retried with an exponential delay (capped) until the queue sends it to its dead-letter queue.
 */
export async function eachMessage<T>(
  batch: QueueBatch<T>,
  describe: (body: T) => string,
  handle: (body: T) => Promise<unknown>,
): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        await handle(message.body);
        message.ack();
      } catch (error) {
        console.error(`${describe(message.body)} (attempt ${message.attempts}) failed: ${describeForLog(error)}`);
        message.retry({ delaySeconds: Math.ceil(backoffMs(QUEUE_MESSAGES, message.attempts) / 1000) });
      }
    }),
  );
}
