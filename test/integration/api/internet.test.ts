import { networkInterfaces } from "node:os";
import { expect, test } from "vitest";
import { type ApiErrorBody, admin, type Execution, newKey, run } from "./harness.js";

// `internet` and the key's `internet_access` (contract §8): off means no network at all; on means
// the internet, but never the machine that runs runledger.
const PROBE = [
  "import socket, time, json",
  "names = sorted(name for _, name in socket.if_nameindex())",
  "def attempt(host, port):",
  "    started = time.time()",
  "    try:",
  "        socket.create_connection((host, port), timeout=5).close()",
  "        outcome = 'connected'",
  "    except OSError as error:",
  "        outcome = type(error).__name__",
  "    return [outcome, round(time.time() - started, 2)]",
  "routes = [line.split()[1] for line in open('/proc/net/route').read().splitlines()[1:]]",
  "print(json.dumps({'interfaces': names, 'default_route': '00000000' in routes, 'outside': attempt('192.0.2.1', 80), 'host': attempt(HOST, 22) if HOST else None}))",
].join("\n");

/** An address of this machine other than loopback, if it has one: the sandbox must not reach it. */
const HOST = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === "IPv4" && !a.internal)?.address;

async function probe(client: Parameters<typeof run>[0], body: Record<string, unknown>) {
  const execution = await run(client, { code: `HOST = ${JSON.stringify(HOST ?? null)}\n${PROBE}`, timeout_ms: 30_000, ...body });
  expect(execution.status, JSON.stringify(execution.result)).toBe("succeeded");
  return { execution, seen: JSON.parse(execution.result?.stdout ?? "{}") as Record<string, unknown> };
}

test("internet off: only lo, no route, and a connect to an outside address fails at once", async () => {
  const { client } = await newKey();
  const { execution, seen } = await probe(client, { internet: false });
  expect(execution.internet).toBe(false);
  expect(seen.interfaces).toEqual(["lo"]);
  expect(seen.default_route).toBe(false);
  const [outcome, seconds] = seen.outside as [string, number];
  expect(outcome).not.toBe("connected");
  expect(seconds).toBeLessThan(1);
});

test("internet on (the default): a route out, and still nothing of the host", async () => {
  const { client } = await newKey();
  const { execution, seen } = await probe(client, {});
  expect(execution.internet).toBe(true);
  expect((seen.interfaces as string[]).filter((name) => name !== "lo").length).toBeGreaterThan(0);
  expect(seen.default_route).toBe(true);
  if (HOST) {
    const [outcome, seconds] = seen.host as [string, number];
    expect(outcome).not.toBe("connected");
    expect(seconds).toBeLessThan(1);
  }
});

test("a key without internet_access: its runs are offline by default, and asking for internet is 403", async () => {
  const { key, client } = await newKey({ internet_access: false });
  expect(key).toMatchObject({ internet_access: false });
  const refused = await client.request<ApiErrorBody>("POST", "/v1/executions", { code: "print(1)", internet: true });
  expect(refused.status).toBe(403);
  expect(refused.body.error.code).toBe("internet_not_allowed");
  const { execution, seen } = await probe(client, {});
  expect(execution.internet).toBe(false);
  expect(seen.interfaces).toEqual(["lo"]);

  // The admin turns it on: the next submit may ask.
  const patched = await admin<{ internet_access: boolean }>("PATCH", `/admin/keys/${key.id}`, { internet_access: true });
  expect(patched.body.internet_access).toBe(true);
  const allowed = await client.request<Execution>("POST", "/v1/executions", { code: "print(1)", internet: true });
  expect(allowed.status).toBe(202);
  expect(allowed.body.internet).toBe(true);
});
