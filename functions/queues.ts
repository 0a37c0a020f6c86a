/** What runledger uses of a Cloudflare Queue producer binding. */
export interface MessageQueue<T> {
  send(body: T, options?: { delaySeconds?: number }): Promise<void>;
  sendBatch(messages: Iterable<{ body: T; delaySeconds?: number }>): Promise<void>;
}

/** The run queue: each message names an execution to hand to its run holder, and its key. */
export interface RunMessage {
  executionId: string;
  /** Absent in messages queued before the sandbox governor: looked up then. */
  keyId?: string;
}

/** The delivery queue: each message names an event in the outbox to attempt. */
export interface DeliveryMessage {
  eventId: string;
}

/**
 * What a consumer uses of a Cloudflare Queues batch: each message is acknowledged or retried
 * explicitly (the first call wins), and knows how often it was delivered.
 */
export interface QueueBatch<T> {
  readonly queue: string;
  readonly messages: ReadonlyArray<{
    readonly body: T;
    readonly attempts: number;
    ack(): void;
    retry(options?: { delaySeconds?: number }): void;
  }>;
  retryAll(options?: { delaySeconds?: number }): void;
}

/** Queue names, as in wrangler.toml: the queue handler switches on them. */
export const QUEUES = {
  runs: "runledger-runs",
  runsDead: "runledger-runs-dead",
  deliveries: "runledger-deliveries",
  deliveriesDead: "runledger-deliveries-dead",
} as const;

/** A Queue message can be delayed at most this long (Cloudflare's limit); longer waits are chained. */
export const MAX_QUEUE_DELAY_S = 12 * 60 * 60;
