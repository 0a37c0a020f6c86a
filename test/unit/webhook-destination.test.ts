import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ApiError } from "../../functions/errors.js";
import { DnsOverHttpsResolver } from "../../functions/services/host-resolver.js";
import { eventsDestination } from "../../functions/services/keys.js";
import { checkDestination, deliveryRefusal } from "../../functions/services/webhook-destination.js";
import { startDnsEndpoint } from "../../local/dns-endpoint.js";

// A stand-in for the public DNS this machine cannot reach: names with fixed answers.
const RECORDS: Record<string, { 1?: string[]; 28?: string[] }> = {
  "hooks.example.com": { 1: ["93.184.216.34"] },
  "rebind.example.com": { 1: ["93.184.216.34", "10.0.0.5"] },
  "six.example.com": { 28: ["fd00::5"] },
};
let dns: Server;
let resolver: DnsOverHttpsResolver;

beforeAll(async () => {
  dns = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const name = url.searchParams.get("name") ?? "";
    const type = Number(url.searchParams.get("type")) as 1 | 28;
    if (name === "broken.example.com") return res.writeHead(502).end();
    const known = RECORDS[name];
    res.writeHead(200, { "content-type": "application/dns-json" });
    res.end(JSON.stringify(known ? { Status: 0, Answer: (known[type] ?? []).map((data) => ({ name, type, data })) } : { Status: 3 }));
  });
  await new Promise<void>((resolve) => dns.listen(0, "127.0.0.1", resolve));
  resolver = new DnsOverHttpsResolver(`http://127.0.0.1:${(dns.address() as AddressInfo).port}/dns-query`);
});

afterAll(() => new Promise<void>((resolve) => dns.close(() => resolve())));

describe("webhook destinations, resolved", () => {
  const policy = () => ({ allowPrivate: false, resolver });

  test("a name that resolves only to public addresses passes", async () => {
    expect(await checkDestination("https://hooks.example.com/in", policy())).toBe("https://hooks.example.com/in");
    expect(await deliveryRefusal("https://hooks.example.com/in", policy())).toBeNull();
  });

  test("a name with any private address, or none, is refused at submit and before each attempt", async () => {
    for (const url of ["https://rebind.example.com/in", "https://six.example.com/in", "https://nowhere.example.com/in"]) {
      await expect(checkDestination(url, policy()), url).rejects.toMatchObject({ code: "invalid_request" });
      expect(await deliveryRefusal(url, policy()), url).not.toBeNull();
    }
  });

  test("a resolver that cannot answer is the platform failing, at submit; an attempt is not made", async () => {
    const failure = await checkDestination("https://broken.example.com/in", policy()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).code).toBe("unavailable");
    expect(await deliveryRefusal("https://broken.example.com/in", policy())).toContain("could not be resolved");
  });

  test("a key's events_url is held to the same rules, and a refusal names events_url", async () => {
    const services = { config: { ALLOW_PRIVATE_WEBHOOKS: false }, resolver };
    for (const url of ["http://hooks.example.com/in", "https://10.0.0.1/in", "https://rebind.example.com/in"]) {
      const refused = await eventsDestination(services, url).catch((e: unknown) => e);
      expect(refused, url).toMatchObject({ code: "invalid_request", details: [expect.objectContaining({ field: "events_url" })] });
    }
    expect(await eventsDestination(services, "https://hooks.example.com/alerts")).toBe("https://hooks.example.com/alerts");
  });

  test("with private destinations allowed (local mode) nothing is resolved", async () => {
    const unreachable = new DnsOverHttpsResolver("http://127.0.0.1:9/dns-query");
    expect(await checkDestination("http://127.0.0.1:9000/hook", { allowPrivate: true, resolver: unreachable })).toBe(
      "http://127.0.0.1:9000/hook",
    );
  });

  test("with private destinations allowed, a name that does not resolve is refused before the attempt", async () => {
    const local = { allowPrivate: true, resolver };
    expect(await deliveryRefusal("http://nowhere.example.com/in", local)).toBe("names a host that does not resolve");
    expect(await deliveryRefusal("http://rebind.example.com/in", local)).toBeNull();
    expect(await deliveryRefusal("http://127.0.0.1:9000/in", local)).toBeNull();
    // A resolver that cannot answer leaves it to the attempt.
    expect(await deliveryRefusal("http://broken.example.com/in", local)).toBeNull();
  });

  test("the local stack's resolver answers from this machine's own resolver", async () => {
    const local = await startDnsEndpoint();
    try {
      const machine = new DnsOverHttpsResolver(local.url);
      expect(await machine.resolve("localhost")).toContain("127.0.0.1");
      expect(await machine.resolve("no-such-host.invalid")).toEqual([]);
    } finally {
      await local.close();
    }
  });
});
