import { errorFrom, fetchOrThrow, RunledgerError } from "./errors.js";
import { signRequest } from "./signing.js";
import { readEventStream } from "./sse.js";
import {
  type Budget,
  type CostReport,
  type CostsQuery,
  type DashboardLink,
  type Delivery,
  type Event,
  type Execution,
  type ExecutionCreateInput,
  type ExecutionList,
  type ExecutionStatus,
  isFinalStatus,
  type LiveEvent,
} from "./types.js";

export { RunledgerError } from "./errors.js";
export * from "./types.js";

export interface ClientOptions {
  url: string;
  keyId: string;
  secret: string;
  /** Seconds since the epoch, with milliseconds, so requests in one second sign differently. */
  timestamp?: () => string;
}

export interface SignedResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface CreateExecutionOptions {
  /** Seconds (0–60) the server holds the answer for the execution to finish. */
  wait?: number;
  /** Makes the submit safe to retry: the same key and body answer the original execution. */
  idempotencyKey?: string;
}

export interface WaitOptions {
  /** Give up (throw a `RunledgerError` with code `wait_timeout`) after this long; default: wait as long as it takes. */
  timeoutMs?: number;
  /** Time between polls, 500 ms by default. */
  intervalMs?: number;
  /** Called with every state seen while waiting. */
  onUpdate?: (execution: Execution) => void;
  signal?: AbortSignal;
}

export interface EventsOptions {
  /** Resume after this event id. */
  lastEventId?: number;
  signal?: AbortSignal;
}

export interface RunOptions extends CreateExecutionOptions, WaitOptions {
  /** The code's output as it is printed. */
  onOutput?: (stream: "stdout" | "stderr", text: string) => void;
}

export interface ListExecutionsQuery {
  status?: ExecutionStatus;
  tag?: string;
  limit?: number;
  cursor?: string;
}

const encoder = new TextEncoder();

export function isFinal(execution: Pick<Execution, "status">): boolean {
  return isFinalStatus(execution.status);
}

/** `?a=1&b=2` from the defined entries, or nothing. */
export function queryString(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  const text = params.toString();
  return text ? `?${text}` : "";
}

export function costsQueryString(query: CostsQuery<string>): string {
  return queryString({ from: query.from, to: query.to, group_by: query.groupBy, tag: query.tag });
}

/** Resolves after `ms`, or as soon as the signal aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", stop);
      resolve();
    };
    const timer = setTimeout(stop, ms);
    signal?.addEventListener("abort", stop, { once: true });
  });
}

/**
 * Signs requests to runledger as the README's "Calling it" says (HMAC-SHA256 over timestamp, method, path and body),
 * with a typed method for every `/v1` route. Typed methods throw a `RunledgerError` for any answer that is
 * not a success; `request` returns whatever came back.
 */
export class RunledgerClient {
  private lastMs = 0;

  constructor(private readonly options: ClientOptions) {}

  /** Milliseconds since the epoch, never the same twice: identical requests must sign apart. */
  private nextTimestamp(): string {
    this.lastMs = Math.max(Date.now(), this.lastMs + 1);
    return (this.lastMs / 1000).toFixed(3);
  }

  get url(): string {
    return this.options.url;
  }

  async signedHeaders(method: string, pathAndQuery: string, body: string): Promise<Record<string, string>> {
    const timestamp = this.options.timestamp?.() ?? this.nextTimestamp();
    const signature = await signRequest(this.options.secret, timestamp, method, pathAndQuery, encoder.encode(body));
    return {
      "x-runledger-key": this.options.keyId,
      "x-runledger-timestamp": timestamp,
      "x-runledger-signature": `v1=${signature}`,
    };
  }

  /** A signed request; the raw response. A failure to connect throws a `RunledgerError` (`network_error`). */
  async send(method: string, pathAndQuery: string, json?: unknown, extraHeaders: Record<string, string> = {}): Promise<Response> {
    const body = json === undefined ? "" : JSON.stringify(json);
    const headers: Record<string, string> = { ...(await this.signedHeaders(method, pathAndQuery, body)), ...extraHeaders };
    if (json !== undefined) headers["content-type"] = "application/json";
    const base = this.options.url.replace(/\/+$/, "");
    return fetchOrThrow(`${base}${pathAndQuery}`, { method, headers, body: json === undefined ? undefined : body });
  }

  /** A signed request without a body, which `signal` can abort. */
  private async sendSigned(
    method: string,
    pathAndQuery: string,
    extraHeaders: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<Response> {
    const headers = { ...(await this.signedHeaders(method, pathAndQuery, "")), ...extraHeaders };
    return fetchOrThrow(`${this.options.url.replace(/\/+$/, "")}${pathAndQuery}`, { method, headers, signal });
  }

  /** A signed request; status, headers and the parsed JSON body, whatever the status. */
  async request<T = unknown>(
    method: string,
    pathAndQuery: string,
    json?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<SignedResponse<T>> {
    const res = await this.send(method, pathAndQuery, json, extraHeaders);
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T };
  }

  private async call<T>(method: string, pathAndQuery: string, json?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await this.send(method, pathAndQuery, json, headers);
    if (!res.ok) throw await errorFrom(res);
    return (await res.json()) as T;
  }

  /** `POST /v1/executions`: `202` queued, or with `wait` the finished execution when it finished in time. */
  createExecution(body: ExecutionCreateInput, options: CreateExecutionOptions = {}): Promise<Execution> {
    const headers: Record<string, string> = options.idempotencyKey ? { "idempotency-key": options.idempotencyKey } : {};
    return this.call<Execution>("POST", `/v1/executions${queryString({ wait: options.wait })}`, body, headers);
  }

  /** One execution; with `wait`, held by the server up to that many seconds (0–60) for it to finish. */
  getExecution(id: string, options: { wait?: number } = {}): Promise<Execution> {
    return this.call<Execution>("GET", `/v1/executions/${encodeURIComponent(id)}${queryString({ wait: options.wait })}`);
  }

  /** One page, newest first; pass `next_cursor` back as `cursor` for the next. */
  listExecutions(query: ListExecutionsQuery = {}): Promise<ExecutionList> {
    return this.call<ExecutionList>("GET", `/v1/executions${queryString({ ...query })}`);
  }

  cancelExecution(id: string): Promise<Execution> {
    return this.call<Execution>("POST", `/v1/executions/${encodeURIComponent(id)}/cancel`);
  }

  async listDeliveries(id: string): Promise<Delivery[]> {
    return (await this.call<{ data: Delivery[] }>("GET", `/v1/executions/${encodeURIComponent(id)}/deliveries`)).data;
  }

  redeliver(id: string): Promise<Execution> {
    return this.call<Execution>("POST", `/v1/executions/${encodeURIComponent(id)}/redeliver`);
  }

  /** This key's events (execution webhooks, budget alerts), newest first, one page; pass `next_cursor` back as `cursor`. */
  listEvents(query: { limit?: number; cursor?: string } = {}): Promise<{ data: Event[]; next_cursor: string | null }> {
    return this.call("GET", `/v1/events${queryString({ ...query })}`);
  }

  /** A signed link to this key's cost dashboard, working for `expiresIn` seconds (60 to 86400; 15 min by default). */
  dashboardLink(options: { expiresIn?: number } = {}): Promise<DashboardLink> {
    return this.call<DashboardLink>("POST", "/v1/dashboard-link", options.expiresIn === undefined ? {} : { expires_in: options.expiresIn });
  }

  getBudget(): Promise<Budget> {
    return this.call<Budget>("GET", "/v1/budget");
  }

  getCosts(query: CostsQuery = {}): Promise<CostReport> {
    return this.call<CostReport>("GET", `/v1/costs${costsQueryString(query)}`);
  }

  /** The same rows as CSV, with a header line. */
  async getCostsCsv(query: CostsQuery = {}): Promise<string> {
    const res = await this.send("GET", `/v1/costs${costsQueryString(query)}`, undefined, { accept: "text/csv" });
    if (!res.ok) throw await errorFrom(res);
    return res.text();
  }

  /** Polls until the execution reaches a final status. Transient failures (`unavailable`, no answer) are retried. */
  async waitForExecution(id: string, options: WaitOptions = {}): Promise<Execution> {
    const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
    let failures = 0;
    for (;;) {
      if (options.signal?.aborted) throw new RunledgerError("aborted", `stopped waiting for ${id}`, 0);
      try {
        const execution = await this.getExecution(id, {
          wait: Math.min(60, Math.max(0, Math.floor((deadline - Date.now()) / 1000))) || undefined,
        });
        failures = 0;
        options.onUpdate?.(execution);
        if (isFinal(execution)) return execution;
      } catch (error) {
        if (!(error instanceof RunledgerError) || !error.retryable || ++failures > 10) throw error;
      }
      if (options.signal?.aborted) throw new RunledgerError("aborted", `stopped waiting for ${id}`, 0);
      if (Date.now() > deadline) throw new RunledgerError("wait_timeout", `${id} had not finished after ${options.timeoutMs} ms`, 0);
      await sleep(options.intervalMs ?? 500, options.signal);
    }
  }

  /**
   * A run's live events, oldest first, ending with `end` (the final Execution). A dropped stream
   * is picked up again after the last event seen (`Last-Event-ID`).
   */
  async *events(id: string, options: EventsOptions = {}): AsyncGenerator<LiveEvent> {
    let lastEventId = options.lastEventId;
    for (let reconnects = 0; ; reconnects++) {
      const path = `/v1/executions/${encodeURIComponent(id)}/events`;
      const res = await this.sendSigned(
        "GET",
        path,
        lastEventId === undefined ? {} : { "last-event-id": String(lastEventId) },
        options.signal,
      );
      if (!res.ok || !res.body) throw await errorFrom(res);
      for await (const event of readEventStream(res.body)) {
        lastEventId = event.id === null ? lastEventId : Number(event.id);
        yield { id: lastEventId ?? 0, event: event.event, data: event.data } as LiveEvent;
        if (event.event === "end") return;
      }
      if (options.signal?.aborted) throw new RunledgerError("aborted", `stopped following ${id}`, 0);
      if (reconnects >= 10) throw new RunledgerError("network_error", `the event stream of ${id} kept breaking off`, 0);
    }
  }

  /**
   * Submits and follows the run's live events to its end: output is handed to `onOutput` as it is
   * printed. Where no event stream can be had, it waits by polling instead.
   */
  async run(body: ExecutionCreateInput, options: RunOptions = {}): Promise<Execution> {
    const submitted = await this.createExecution(body, { wait: options.wait, idempotencyKey: options.idempotencyKey });
    options.onUpdate?.(submitted);
    if (isFinal(submitted)) {
      if (submitted.result) this.replayOutput(submitted, options);
      return submitted;
    }
    try {
      for await (const event of this.events(submitted.id, { signal: options.signal })) {
        if (event.event === "stdout" || event.event === "stderr") options.onOutput?.(event.event, event.data.text);
        if (event.event === "end") {
          options.onUpdate?.(event.data);
          return event.data;
        }
      }
    } catch (error) {
      if (error instanceof RunledgerError && (error.code === "aborted" || !error.retryable)) throw error;
    }
    const finished = await this.waitForExecution(submitted.id, options);
    if (finished.result) this.replayOutput(finished, options);
    return finished;
  }

  private replayOutput(execution: Execution, options: RunOptions): void {
    if (execution.result?.stdout) options.onOutput?.("stdout", execution.result.stdout);
    if (execution.result?.stderr) options.onOutput?.("stderr", execution.result.stderr);
  }
}
