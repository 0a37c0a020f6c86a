import { signRequest } from "../functions/services/signing.js";

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

const encoder = new TextEncoder();

/** Signs requests to runledger as contract §2 says: HMAC-SHA256 over timestamp, method, path and body. */
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

  async request<T = unknown>(
    method: string,
    pathAndQuery: string,
    json?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<SignedResponse<T>> {
    const body = json === undefined ? "" : JSON.stringify(json);
    const headers: Record<string, string> = { ...(await this.signedHeaders(method, pathAndQuery, body)), ...extraHeaders };
    if (json !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${this.options.url}${pathAndQuery}`, { method, headers, body: json === undefined ? undefined : body });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T };
  }
}
