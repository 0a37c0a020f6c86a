import { invalidField } from "../errors.js";

/**
 * A webhook destination must be an absolute https URL without credentials, and, unless the
 * deployment allows them (local mode), name a public host: not a single-label name, not a
 * loopback, private, link-local, shared, reserved or metadata address, no IPv6 form that embeds
 * an IPv4 address, and no name that spells out a private address (the `*.nip.io` style). The
 * addresses a name resolves to are checked too, where the deployment can resolve names
 * (`resolvedAddressesAllowed`). Returns the URL, normalised.
 */
export function checkWebhookUrl(raw: string, allowPrivate: boolean, field = "webhook_url"): string {
  const refuse = (message: string) => invalidField(field, message);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse("must be an absolute URL");
  }
  if (url.protocol !== "https:" && !(allowPrivate && url.protocol === "http:"))
    throw refuse(allowPrivate ? "must use http or https" : "must use https");
  if (url.username || url.password) throw refuse("must not carry credentials");
  if (!allowPrivate && isPrivateHost(url.hostname)) {
    throw refuse("must name a public host: not a single-label name, nor a loopback, private, link-local or metadata address");
  }
  return url.toString();
}

/** Whether a URL's hostname (as `URL` normalises it) names anything but a public host. */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname
    .replace(/^\[|\]$/g, "")
    .toLowerCase()
    .replace(/\.+$/, "");
  if (host.includes(":")) return isPrivateIpv6(host);
  const v4 = parseIpv4(host);
  if (v4) return isPrivateIpv4(v4);
  if (!host.includes(".")) return true;
  if (host.endsWith(".localhost") || host.endsWith(".internal") || host.endsWith(".local") || host.endsWith(".home.arpa")) return true;
  return spelledOutAddresses(host).some(isPrivateIpv4);
}

/** Whether a resolved address (IPv4 or IPv6 text) is private in the sense above. */
export function isPrivateAddress(address: string): boolean {
  const v4 = parseIpv4(address);
  return v4 ? isPrivateIpv4(v4) : isPrivateIpv6(address.toLowerCase());
}

type Ipv4 = [number, number, number, number];

function parseIpv4(text: string): Ipv4 | null {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.map(Number) as Ipv4;
}

function isPrivateIpv4([a, b, c]: Ipv4): boolean {
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) ||
    (a === 192 && b === 88 && c === 99) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113) ||
    a >= 224
  );
}

/** An IPv6 address as eight 16-bit groups, or null if it is not one. */
function parseIpv6(text: string): number[] | null {
  let head = text;
  let tail: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = parseIpv4(dotted[2] as string);
    if (!v4) return null;
    head = `${dotted[1]}0:0`;
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
  }
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string | undefined) =>
    part ? part.split(":").map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? Number.parseInt(g, 16) : Number.NaN)) : [];
  const left = groups(halves[0]);
  const right = groups(halves[1]);
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 0) return null;
  const all = [...left, ...new Array(halves.length === 2 ? missing : 0).fill(0), ...right];
  if (all.some(Number.isNaN) || all.length !== 8) return null;
  if (dotted) all.splice(6, 2, ...tail);
  return all;
}

function isPrivateIpv6(text: string): boolean {
  const g = parseIpv6(text);
  if (!g) return true;
  const [g0, g1, g2, g3, g4, g5] = g as [number, number, number, number, number, number];
  const zeroPrefix = (n: number) => g.slice(0, n).every((x) => x === 0);
  // ::, ::1 and every ::/96 (IPv4-compatible) address, IPv4-mapped ::ffff:0:0/96 and ::ffff:0:0:0/96
  if (zeroPrefix(6)) return true;
  if (zeroPrefix(5) && g5 === 0xffff) return true;
  if (zeroPrefix(4) && g4 === 0xffff && g5 === 0) return true;
  // NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16, Teredo 2001::/32: each carries an IPv4 address
  if (g0 === 0x64 && g1 === 0xff9b) return true;
  if (g0 === 0x2002) return true;
  if (g0 === 0x2001 && g1 === 0) return true;
  // ISATAP interface identifiers carry one too
  if ((g4 === 0 || g4 === 0x200) && g5 === 0x5efe) return true;
  // unique local fc00::/7, link-local fe80::/10, site-local fec0::/10, multicast ff00::/8,
  // discard 100::/64, documentation 2001:db8::/32 and 3fff::/20
  if ((g0 & 0xfe00) === 0xfc00 || (g0 & 0xffc0) === 0xfe80 || (g0 & 0xffc0) === 0xfec0 || (g0 & 0xff00) === 0xff00) return true;
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return true;
  if (g0 === 0x2001 && g1 === 0xdb8) return true;
  return (g0 & 0xfff0) === 0x3ff0;
}

/**
 * IPv4 addresses a name spells out in its labels, as wildcard DNS services answer them:
 * `127.0.0.1.nip.io`, `app-10-0-0-1.sslip.io`, `7f000001.nip.io`.
 */
function spelledOutAddresses(host: string): Ipv4[] {
  const found: Ipv4[] = [];
  const labels = host.split(".");
  for (let i = 0; i + 4 <= labels.length; i++) {
    const v4 = parseIpv4(labels.slice(i, i + 4).join("."));
    if (v4) found.push(v4);
  }
  for (const label of labels) {
    const parts = label.split("-");
    for (let i = 0; i + 4 <= parts.length; i++) {
      const v4 = parseIpv4(parts.slice(i, i + 4).join("."));
      if (v4) found.push(v4);
    }
    for (const hex of label.split("-")) {
      if (/^[0-9a-f]{8}$/.test(hex)) {
        const n = Number.parseInt(hex, 16);
        found.push([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
      }
    }
  }
  return found;
}
