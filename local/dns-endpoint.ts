import { lookup } from "node:dns/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface DnsEndpoint {
  /** The value for the Worker's `DNS_RESOLVER_URL`. */
  url: string;
  close(): Promise<void>;
}

const A = 1;
const AAAA = 28;

/**
 * DNS over HTTPS in its JSON form, answered from this machine's own resolver (hosts file
 * included): what the Worker asks a public resolver in production, it asks this in local mode.
 */
export async function startDnsEndpoint(): Promise<DnsEndpoint> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const name = url.searchParams.get("name") ?? "";
    const type = Number(url.searchParams.get("type") ?? A);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/dns-json" });
      res.end(JSON.stringify(body));
    };
    if (url.pathname !== "/dns-query" || !name || (type !== A && type !== AAAA)) return send(400, { Status: 1 });
    lookup(name, { all: true, family: type === A ? 4 : 6 }).then(
      (found) => send(200, { Status: 0, Answer: found.map((a) => ({ name, type, TTL: 0, data: a.address })) }),
      (error: NodeJS.ErrnoException) => send(200, { Status: error.code === "ENOTFOUND" || error.code === "ENODATA" ? 3 : 2 }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/dns-query`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
