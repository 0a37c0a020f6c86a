/** Lowercase Crockford base32: 0-9 and a-z without i, l, o, u. */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

function randomChars(count: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(count));
  return Array.from(bytes, (b) => ALPHABET[b & 31]).join("");
}

/** 10 characters of milliseconds since the epoch, so ids sort by creation time. */
function timeChars(ms: number): string {
  let value = ms;
  let out = "";
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[value % 32] + out;
    value = Math.floor(value / 32);
  }
  return out;
}

export const newKeyId = () => `key_${randomChars(24)}`;
export const newExecutionId = (nowMs: number) => `exe_${timeChars(nowMs)}${randomChars(14)}`;
export const newMessageId = () => `msg_${randomChars(24)}`;
export const newRequestId = () => `req_${randomChars(24)}`;

export const idPattern = (prefix: string) => new RegExp(`^${prefix}_[0-9a-hjkmnp-tv-z]{24}$`);

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** `sk_` + 43 base64url characters: 32 random bytes. */
export const newKeySecret = () => `sk_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;

/** `whsec_` + base64 of 32 random bytes, the Standard Webhooks form. */
export const newWebhookSecret = () => `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
