import { invalidField } from "../errors.js";

/**
 * A webhook destination must be an absolute https URL without credentials, and, unless the
 * deployment allows them (local mode), not name a loopback, private, link-local or metadata host.
 */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): string {
  const refuse = (message: string) => invalidField("webhook_url", message);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse("must be an absolute URL");
  }
  if (url.protocol !== "https:" && !(allowPrivate && url.protocol === "http:"))
    throw refuse(allowPrivate ? "must use http or https" : "must use https");
  if (url.username || url.password) throw refuse("must not carry credentials");
  if (!allowPrivate && isPrivateHost(url.hostname)) throw refuse("must not point at a loopback, private, link-local or metadata address");
  return url.toString();
}

export function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost") || host === "metadata.google.internal" || host.endsWith(".internal")) return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      a >= 224
    );
  }
  if (host.includes(":")) {
    if (host === "::" || host === "::1") return true;
    if (/^f[cd]/.test(host) || /^fe[89ab]/.test(host)) return true;
    const mapped = /^::ffff:(.+)$/.exec(host);
    if (mapped?.[1]) return mapped[1].includes(".") ? isPrivateHost(mapped[1]) : true;
  }
  return false;
}
