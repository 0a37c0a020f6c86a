/**
 * Resolves host names, so that a webhook destination whose name leads to a private address is
 * refused at submit and before every attempt. Speaks DNS over HTTPS in its JSON form (RFC 8484's
 * companion API, as Cloudflare's and Google's resolvers answer it); the local stack serves the
 * same API from the machine's own resolver.
 */
export interface HostResolver {
  /** The host's IPv4 and IPv6 addresses; empty when the name does not exist. Throws when no answer came. */
  resolve(hostname: string): Promise<string[]>;
}

interface DnsJsonAnswer {
  Status: number;
  Answer?: Array<{ type: number; data: string }>;
}

const A = 1;
const AAAA = 28;
const NXDOMAIN = 3;

export class DnsOverHttpsResolver implements HostResolver {
  constructor(
    private readonly endpoint: string,
    private readonly timeoutMs = 3000,
  ) {}

  async resolve(hostname: string): Promise<string[]> {
    const answers = await Promise.all([A, AAAA].map((type) => this.query(hostname, type)));
    return answers.flat();
  }

  private async query(name: string, type: number): Promise<string[]> {
    const url = `${this.endpoint}?name=${encodeURIComponent(name)}&type=${type}`;
    const res = await fetch(url, { headers: { accept: "application/dns-json" }, signal: AbortSignal.timeout(this.timeoutMs) });
    if (!res.ok) throw new Error(`the resolver answered ${res.status}`);
    const answer = (await res.json()) as DnsJsonAnswer;
    if (answer.Status === NXDOMAIN) return [];
    if (answer.Status !== 0) throw new Error(`the resolver answered status ${answer.Status}`);
    return (answer.Answer ?? []).filter((record) => record.type === type).map((record) => record.data);
  }
}
