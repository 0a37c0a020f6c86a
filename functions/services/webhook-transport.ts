/** How a webhook reaches its receiver: fetch in the Worker; an interface so it can be swapped. */
export interface WebhookTransport {
  send(request: { url: string; headers: Record<string, string>; body: string; timeoutMs: number }): Promise<WebhookResponse>;
}

export interface WebhookResponse {
  /** null when no HTTP answer came (network error, timeout, refused redirect). */
  statusCode: number | null;
  error: string | null;
  retryAfter: string | null;
}

const MAX_RESPONSE_BYTES = 4096;

export class FetchWebhookTransport implements WebhookTransport {
  async send(request: { url: string; headers: Record<string, string>; body: string; timeoutMs: number }): Promise<WebhookResponse> {
    const signal = AbortSignal.timeout(request.timeoutMs);
    try {
      const res = await fetch(request.url, { method: "POST", headers: request.headers, body: request.body, redirect: "manual", signal });
      await drain(res.body);
      if (res.status >= 300 && res.status < 400) return { statusCode: res.status, error: "redirects are not followed", retryAfter: null };
      return { statusCode: res.status, error: null, retryAfter: res.headers.get("retry-after") };
    } catch (error) {
      const timedOut = signal.aborted;
      return {
        statusCode: null,
        error: timedOut ? `no answer within ${request.timeoutMs} ms` : `could not connect: ${(error as Error).message}`,
        retryAfter: null,
      };
    }
  }
}

/** Reads at most a few KiB of the answer: receivers get no say in how much we buffer. */
async function drain(body: ReadableStream<Uint8Array> | null): Promise<void> {
  if (!body) return;
  const reader = body.getReader();
  let read = 0;
  while (read < MAX_RESPONSE_BYTES) {
    const { done, value } = await reader.read();
    if (done) return;
    read += value.length;
  }
  await reader.cancel();
}
