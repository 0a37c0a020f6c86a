/**
 * HMAC-SHA256 signing shared by request verification (README, "Calling it") and webhook signing
 * (Standard Webhooks; README, "Receiving webhooks"). Signed strings are built from the exact bytes sent.
 */
const encoder = new TextEncoder();

export async function hmacSha256(secret: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
}

export async function sha256Hex(data: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", data)));
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Compares two byte strings in time that depends only on their lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a[i % a.length] ?? 0) ^ (b[i % b.length] ?? 0);
  return diff === 0;
}

export function constantTimeEqualText(a: string, b: string): boolean {
  return constantTimeEqual(encoder.encode(a), encoder.encode(b));
}

/** The string a caller signs: `{timestamp}\n{METHOD}\n{path-and-query}\n{hex sha256 of body}`. */
export async function requestSigningString(timestamp: string, method: string, pathAndQuery: string, body: Uint8Array): Promise<string> {
  return `${timestamp}\n${method}\n${pathAndQuery}\n${await sha256Hex(body)}`;
}

/** `v1=` + lowercase hex HMAC of the request signing string, keyed with the full `sk_...` secret. */
export async function signRequest(
  secret: string,
  timestamp: string,
  method: string,
  pathAndQuery: string,
  body: Uint8Array,
): Promise<string> {
  const signed = await requestSigningString(timestamp, method, pathAndQuery, body);
  return toHex(await hmacSha256(encoder.encode(secret), encoder.encode(signed)));
}

/** Standard Webhooks: base64 HMAC over `{id}.{timestamp}.{body}`, keyed with the decoded `whsec_` secret. */
export async function signWebhook(whsec: string, messageId: string, timestamp: number, body: string): Promise<string> {
  const key = Uint8Array.from(atob(whsec.replace(/^whsec_/, "")), (c) => c.charCodeAt(0));
  const mac = await hmacSha256(key, encoder.encode(`${messageId}.${timestamp}.${body}`));
  return `v1,${btoa(String.fromCharCode(...mac))}`;
}
