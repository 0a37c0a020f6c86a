import type { QueueBatch } from "../../functions/queues.js";

type Outcome = "ack" | { retryDelaySeconds: number | undefined } | null;

/** A queue batch that records what the consumer did with each message: acked, or retried and when. */
export class RecordingBatch<T> implements QueueBatch<T> {
  readonly messages: Array<{ body: T; attempts: number; outcome: Outcome; ack(): void; retry(options?: { delaySeconds?: number }): void }>;

  constructor(
    readonly queue: string,
    bodies: T[],
    attempts = 1,
  ) {
    this.messages = bodies.map((body) => {
      const message = {
        body,
        attempts,
        outcome: null as Outcome,
        ack() {
          message.outcome ??= "ack";
        },
        retry(options?: { delaySeconds?: number }) {
          message.outcome ??= { retryDelaySeconds: options?.delaySeconds };
        },
      };
      return message;
    });
  }

  retryAll(options?: { delaySeconds?: number }): void {
    for (const message of this.messages) message.retry(options);
  }

  get outcomes() {
    return this.messages.map((message) => message.outcome);
  }
}
