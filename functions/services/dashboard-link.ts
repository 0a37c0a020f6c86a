import { constantTimeEqualText, hmacSha256, toHex } from "./signing.js";

/**
 * Short-lived links to one key's cost dashboard: `/dashboard/{key_id}?expires={unix s}&sig={hex}`,
 * where `sig` is an HMAC-SHA256 over the key id and the expiry. The MAC key is derived from the
 * deployment's SECRET_ENCRYPTION_KEY under a label of its own, so it is never the encryption key
 * itself. Nothing is stored per link, so a link can be withdrawn before it expires only by
 * revoking its key (rotating SECRET_ENCRYPTION_KEY would also void it, but with every stored secret).
 */
export const DEFAULT_LINK_SECONDS = 15 * 60;
export const MAX_LINK_SECONDS = 24 * 60 * 60;
const LABEL = "runledger dashboard-link v1";
const encoder = new TextEncoder();

export interface DashboardLink {
  path: string;
  expires: number;
  sig: string;
}

export type LinkCheck = { ok: true } | { ok: false; reason: "malformed" | "bad_signature" | "expired" | "too_long"; message: string };

async function linkKey(secretEncryptionKey: string): Promise<Uint8Array> {
  const master = Uint8Array.from(atob(secretEncryptionKey), (ch) => ch.charCodeAt(0));
  return hmacSha256(master, encoder.encode(LABEL));
}

async function signature(secretEncryptionKey: string, keyId: string, expires: number): Promise<string> {
  return toHex(await hmacSha256(await linkKey(secretEncryptionKey), encoder.encode(`${keyId}\n${expires}`)));
}

/** A link valid for `seconds` (capped at 24 h) from `now`. */
export async function signDashboardLink(secretEncryptionKey: string, keyId: string, now: Date, seconds: number): Promise<DashboardLink> {
  const lifetime = Math.min(Math.max(1, Math.floor(seconds)), MAX_LINK_SECONDS);
  const expires = Math.floor(now.getTime() / 1000) + lifetime;
  return { path: `/dashboard/${keyId}`, expires, sig: await signature(secretEncryptionKey, keyId, expires) };
}

/** The query string that carries a link's proof. */
export const linkQuery = (link: Pick<DashboardLink, "expires" | "sig">) => `expires=${link.expires}&sig=${link.sig}`;

/**
 * Checks a link: the signature first (compared in constant time), so that an edited expiry reads
 * as tampering, then the expiry, then that the link does not outlive the 24 h cap.
 */
export async function verifyDashboardLink(
  secretEncryptionKey: string,
  keyId: string,
  expiresParam: string | undefined,
  sigParam: string | undefined,
  now: Date,
): Promise<LinkCheck> {
  if (!expiresParam || !sigParam) {
    const missing = [expiresParam ? null : "expires", sigParam ? null : "sig"].filter(Boolean).join(" and ");
    return { ok: false, reason: "malformed", message: `This link is incomplete: it has no ${missing}. Copy the whole link.` };
  }
  // Both present but not in their form: cut short or changed on the way, which is what a bad signature says.
  if (!/^\d{1,12}$/.test(expiresParam) || !/^[0-9a-f]{64}$/.test(sigParam)) {
    return { ok: false, reason: "bad_signature", message: "This link's signature does not match: it was altered, cut short or mistyped." };
  }
  const expires = Number(expiresParam);
  const expected = await signature(secretEncryptionKey, keyId, expires);
  if (!constantTimeEqualText(expected, sigParam)) {
    return { ok: false, reason: "bad_signature", message: "This link's signature does not match: it was altered, cut short or mistyped." };
  }
  const nowSeconds = now.getTime() / 1000;
  if (expires <= nowSeconds) {
    return { ok: false, reason: "expired", message: `This link expired at ${new Date(expires * 1000).toISOString()}.` };
  }
  if (expires - nowSeconds > MAX_LINK_SECONDS) {
    return { ok: false, reason: "too_long", message: "This link lives longer than 24 hours, which no link may." };
  }
  return { ok: true };
}

/** A link as the API answers it: an absolute URL on the origin the caller used, and when it stops working. */
export async function issueDashboardLink(
  secretEncryptionKey: string,
  keyId: string,
  origin: string,
  now: Date,
  seconds = DEFAULT_LINK_SECONDS,
): Promise<{ url: string; expires_at: string }> {
  const link = await signDashboardLink(secretEncryptionKey, keyId, now, seconds);
  return { url: `${origin}${link.path}?${linkQuery(link)}`, expires_at: new Date(link.expires * 1000).toISOString() };
}
