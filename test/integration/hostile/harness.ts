import { readFileSync } from "node:fs";
import { inject } from "vitest";
import { type Execution, RunledgerClient } from "../../../client/client.js";

export const apiUrl = () => inject("hostileApiUrl");

/** A fresh key on the `npm start` under test, and a client that signs with it. */
export async function newKey(): Promise<RunledgerClient> {
  const res = await fetch(`${apiUrl()}/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${inject("hostileAdminToken")}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "hostile", budget_usd: "50", budget_period: "day", max_timeout_ms: 120_000 }),
  });
  if (res.status !== 201) throw new Error(`creating a key failed: ${res.status} ${await res.text()}`);
  const key = (await res.json()) as { id: string; secret: string };
  return new RunledgerClient({ url: apiUrl(), keyId: key.id, secret: key.secret });
}

/** Submits and waits for the final execution. */
export function run(client: RunledgerClient, body: Record<string, unknown>): Promise<Execution> {
  return client.run(body as unknown as Parameters<RunledgerClient["run"]>[0], { wait: 30, intervalMs: 100, timeoutMs: 120_000 });
}

/** The JSON line a probe printed. */
export function printed<T>(execution: Execution): T {
  const line = execution.result?.stdout.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`the probe printed no JSON: ${JSON.stringify(execution)}`);
  }
}

/** Everything `npm start` has printed so far. */
export function hostLog(): string {
  return readFileSync(inject("hostileLogFile"), "utf8");
}

/** The stack still answers: its health, and a run that works. */
export async function stillServing(client: RunledgerClient): Promise<void> {
  const health = await fetch(`${apiUrl()}/healthz`);
  if (health.status !== 200) throw new Error(`healthz answered ${health.status}`);
  const ok = await run(client, { code: "print(6 * 7)" });
  if (ok.status !== "succeeded" || ok.result?.stdout !== "42\n") throw new Error(`a plain run did not work: ${JSON.stringify(ok)}`);
}
