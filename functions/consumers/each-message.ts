import { describeForLog } from "../log.js";

/**
 * Handles a batch's messages side by side and acknowledges each explicitly; one that throws is
 * retried with an exponential delay (capped) until the queue sends it to its dead-letter queue.
 */
export async function eachMessage<T extends { executionId: string }>(
  batch: MessageBatch<T>,
  what: string,
  maxDelayS: number,
  handle: (body: T) => Promise<unknown>,
): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        await handle(message.body);
        message.ack();
      } catch (error) {
        console.error(`${what} for ${message.body.executionId} (attempt ${message.attempts}) failed: ${describeForLog(error)}`);
        message.retry({ delaySeconds: Math.min(maxDelayS, 2 ** message.attempts) });
      }
    }),
  );
}
