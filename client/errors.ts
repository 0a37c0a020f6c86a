/**
 * An answer that was not a success. `code` is the server's error code (README, "Routes"), or, when no
 * error envelope came back, `network_error` (the server could not be reached) or `invalid_response`
 * (it answered something that is not runledger's envelope).
 */
export class RunledgerError extends Error {
  override readonly name = "RunledgerError";

  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly requestId: string | null = null,
    readonly details?: unknown,
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }

  /**
   * Nothing answers at that address (connection refused, no such host, a port fetch refuses): unlike a
   * connection that broke off or timed out, retrying soon will not help.
   */
  get unreachable(): boolean {
    const reason = (this.details as { reason?: unknown } | undefined)?.reason;
    return this.code === "network_error" && !(typeof reason === "string" && TRANSIENT_NETWORK.test(reason));
  }

  /** Worth retrying: the platform was busy or down, or the answer never arrived. */
  get retryable(): boolean {
    return this.code === "unavailable" || this.code === "concurrency_limit" || this.code === "network_error";
  }
}

/** Network failures worth another try: the connection broke off or timed out on the way. */
const TRANSIENT_NETWORK =
  /^(ECONNRESET|EPIPE|ETIMEDOUT|ECONNABORTED|UND_ERR_SOCKET|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT|other side closed)$/;

interface Envelope {
  error?: { code?: unknown; message?: unknown; request_id?: unknown; details?: unknown };
}

/** The error an unsuccessful response stands for, read from its envelope. */
export async function errorFrom(res: Response): Promise<RunledgerError> {
  const text = await res.text();
  const requestId = res.headers.get("x-request-id");
  const retryAfterHeader = Number(res.headers.get("retry-after"));
  const retryAfter = Number.isFinite(retryAfterHeader) && retryAfterHeader > 0 ? retryAfterHeader : null;
  let envelope: Envelope | null = null;
  try {
    envelope = JSON.parse(text) as Envelope;
  } catch {
    // not JSON: reported below as an invalid response
  }
  const error = envelope?.error;
  if (error && typeof error.code === "string" && typeof error.message === "string") {
    const id = typeof error.request_id === "string" ? error.request_id : requestId;
    return new RunledgerError(error.code, error.message, res.status, id, error.details, retryAfter);
  }
  const excerpt = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return new RunledgerError(
    "invalid_response",
    `HTTP ${res.status}: ${excerpt || "(empty body)"}`,
    res.status,
    requestId,
    undefined,
    retryAfter,
  );
}

/** `fetch`, with a failure to connect turned into a `network_error`. */
export async function fetchOrThrow(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const cause = (error as { cause?: { message?: string; code?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    const origin = URL.canParse(url) ? new URL(url).origin : url;
    throw new RunledgerError("network_error", `could not reach ${origin}: ${reason}`, 0, null, { origin, reason });
  }
}
