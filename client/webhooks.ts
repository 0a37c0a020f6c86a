import { constantTimeEqualText, signWebhook } from "./signing.js";

export const WEBHOOK_TOLERANCE_SECONDS = 300;

export type WebhookVerification = { ok: true; id: string; timestamp: number } | { ok: false; reason: string };

export interface VerifyOptions {
  /** How far the `webhook-timestamp` may be from now, either way; 300 s by default. */
  toleranceSeconds?: number;
  /** Unix seconds; the clock by default. */
  now?: number;
}

/** Header lookup that ignores case, over a plain object or a `Headers`. */
function header(headers: Headers | Record<string, string | string[] | undefined>, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(" ") : value;
  }
  return undefined;
}

/**
 * Checks a delivery as Standard Webhooks says: `webhook-signature` holds one or more `v1,<base64>` entries, one of
 * which must be the HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` under the `whsec_` secret, and the
 * timestamp must be within the tolerance. `body` is the raw body, exactly as received.
 */
export async function verifyWebhook(
  secret: string,
  headers: Headers | Record<string, string | string[] | undefined>,
  body: string,
  options: VerifyOptions = {},
): Promise<WebhookVerification> {
  const id = header(headers, "webhook-id");
  const timestampText = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!id || !timestampText || !signatures)
    return { ok: false, reason: "missing webhook-id, webhook-timestamp or webhook-signature header" };
  if (!/^\d+$/.test(timestampText.trim())) return { ok: false, reason: `webhook-timestamp is not unix seconds: ${timestampText}` };
  if (!/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(secret)) return { ok: false, reason: "the secret is not a whsec_ secret" };
  const timestamp = Number(timestampText.trim());
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  if (Math.abs(now - timestamp) > tolerance) {
    return { ok: false, reason: `webhook-timestamp is ${now - timestamp} s from now; at most ${tolerance} s is accepted` };
  }
  const expected = await signWebhook(secret, id, timestamp, body);
  const matched = signatures.split(" ").some((candidate) => constantTimeEqualText(candidate, expected));
  return matched ? { ok: true, id, timestamp } : { ok: false, reason: "no signature matches: the body, the headers or the secret differ" };
}
