/** An event from the supervisor inside a sandbox, addressed to one request by `id`. */
export interface AgentEvent {
  id?: string;
  type: string;
  [field: string]: unknown;
}

/** No line the host reads from a sandbox may be longer; the supervisor splits larger events. */
export const MAX_LINE_BYTES = 1024 * 1024;
/** An event reassembled from `chunk` lines (a large file read, say) may be at most this large. */
export const MAX_EVENT_BYTES = 96 * 1024 * 1024;

/**
 * The host's reader of a supervisor's stdout: JSON lines, each at most `MAX_LINE_BYTES`; an event
 * too large for one line arrives as `{"type":"chunk","data":…}` lines, the last with `"last":true`.
 * Everything here comes from inside a sandbox, so anything out of shape is a violation: it is
 * reported once, and nothing more is read.
 */
export class SupervisorChannel {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private chunks: string[] = [];
  private chunkBytes = 0;
  private broken = false;

  constructor(
    private readonly onEvent: (event: AgentEvent) => void,
    private readonly onViolation: (reason: string) => void,
  ) {}

  push(data: Buffer): void {
    let start = 0;
    while (!this.broken) {
      const newline = data.indexOf(10, start);
      if (newline === -1) {
        this.hold(data.subarray(start));
        return;
      }
      this.hold(data.subarray(start, newline));
      if (this.broken) return;
      const line = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
      this.pending = [];
      this.pendingBytes = 0;
      this.line(line.toString("utf8"));
      start = newline + 1;
    }
  }

  private hold(part: Buffer): void {
    if (part.length === 0) return;
    this.pendingBytes += part.length;
    if (this.pendingBytes > MAX_LINE_BYTES) {
      this.violate(`a line over ${MAX_LINE_BYTES} bytes`);
      return;
    }
    this.pending.push(part);
  }

  private line(text: string, reassembled = false): void {
    let event: AgentEvent;
    try {
      event = JSON.parse(text) as AgentEvent;
    } catch {
      this.violate("a line that is not JSON");
      return;
    }
    if (typeof event !== "object" || event === null || Array.isArray(event) || typeof event.type !== "string") {
      this.violate("a line that is not an event");
      return;
    }
    if (event.type !== "chunk") {
      this.onEvent(event);
      return;
    }
    if (reassembled) {
      this.violate("a chunk inside a chunk");
      return;
    }
    if (typeof event.data !== "string") {
      this.violate("a chunk without data");
      return;
    }
    this.chunkBytes += event.data.length;
    if (this.chunkBytes > MAX_EVENT_BYTES) {
      this.violate(`an event over ${MAX_EVENT_BYTES} bytes`);
      return;
    }
    this.chunks.push(event.data);
    if (event.last !== true) return;
    const whole = this.chunks.join("");
    this.chunks = [];
    this.chunkBytes = 0;
    this.line(whole, true);
  }

  private violate(reason: string): void {
    if (this.broken) return;
    this.broken = true;
    this.pending = [];
    this.chunks = [];
    this.onViolation(reason);
  }
}
