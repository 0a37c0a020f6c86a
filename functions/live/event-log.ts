/** One Server-Sent Event of a run: `status`, `stdout`, `stderr`, `result` or `end`. */
export interface LiveEvent {
  id: number;
  event: "status" | "stdout" | "stderr" | "result" | "end";
  data: unknown;
}

type Listener = (event: LiveEvent) => void;

/**
 * A run's events in order, with increasing ids, and the listeners that want each as it happens.
 * What it holds is bounded by the run's own caps: output is appended only as far as the output
 * cap lets it into the result, and results only once they are capped.
 */
export class EventLog {
  private readonly events: LiveEvent[] = [];
  private readonly listeners = new Set<Listener>();

  static from(events: LiveEvent[]): EventLog {
    const log = new EventLog();
    log.events.push(...events);
    return log;
  }

  get ended(): boolean {
    return this.events.at(-1)?.event === "end";
  }

  get all(): readonly LiveEvent[] {
    return this.events;
  }

  append(event: LiveEvent["event"], data: unknown): void {
    if (this.ended) return;
    const entry = { id: (this.events.at(-1)?.id ?? 0) + 1, event, data };
    this.events.push(entry);
    for (const listener of this.listeners) listener(entry);
  }

  /** The events after `afterId` (all when null), then each new one until the end; returns the unsubscribe. */
  follow(afterId: number | null, listener: Listener): () => void {
    for (const event of this.events) if (afterId === null || event.id > afterId) listener(event);
    if (this.ended) return () => {};
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

const encoder = new TextEncoder();

/** An event as the `text/event-stream` format writes it. */
export function sseFrame(event: LiveEvent): Uint8Array {
  return encoder.encode(`id: ${event.id}\nevent: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`);
}

export const SSE_KEEPALIVE = encoder.encode(": keepalive\n\n");

/** How often a comment keeps a quiet stream (and every proxy on its way) open. */
export const KEEPALIVE_MS = 15_000;

/**
 * A `text/event-stream` response that follows a log from `afterId` and closes after `end`,
 * with a keepalive comment while it is quiet.
 */
export function eventStream(log: EventLog, afterId: number | null): Response {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  let closed = false;
  let keepalive: ReturnType<typeof setInterval> | undefined;
  let unsubscribe = () => {};
  const close = () => {
    if (closed) return;
    closed = true;
    if (keepalive !== undefined) clearInterval(keepalive);
    unsubscribe();
    writer.close().catch(() => {});
  };
  const write = (chunk: Uint8Array) => {
    if (!closed) writer.write(chunk).catch(close);
  };
  unsubscribe = log.follow(afterId, (event) => {
    write(sseFrame(event));
    if (event.event === "end") close();
  });
  if (!closed) keepalive = setInterval(() => write(SSE_KEEPALIVE), KEEPALIVE_MS);
  writer.closed.catch(close);
  return new Response(readable, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" },
  });
}
