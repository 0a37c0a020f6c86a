import type { MessageQueue } from "../../../functions/queues.js";

/** A local Queue: keeps what is sent, or drops it (a lost message), for tests that drive services. */
export class MemoryQueue<T> implements MessageQueue<T> {
  readonly sent: Array<{ body: T; delaySeconds?: number }> = [];

  constructor(private readonly drop = false) {}

  async send(body: T, options?: { delaySeconds?: number }): Promise<void> {
    if (!this.drop) this.sent.push({ body, delaySeconds: options?.delaySeconds });
  }

  async sendBatch(messages: Iterable<{ body: T; delaySeconds?: number }>): Promise<void> {
    for (const message of messages) await this.send(message.body, message);
  }

  asQueue(): MessageQueue<T> {
    return this;
  }
}
