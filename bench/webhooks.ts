import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sandbox } from "@e2b/code-interpreter";
import { Webhook } from "standardwebhooks";
import { RunledgerClient } from "../client/client.js";
import { freePort } from "../local/ports.js";
import { newSecretEncryptionKey, startStack } from "../local/stack.js";
import { percentile, printTable } from "./stats.js";

// Webhook latency: from an execution's final state in the ledger (`finished_at`) to a receiver
// on loopback holding the verified event; and end to end, from a signed submit to that moment,
// next to the same code run by calling the E2B SDK directly against the same sandbox host.
const RUNS = Number(process.env.BENCH_WEBHOOK_RUNS ?? 50);

export async function benchWebhooks(): Promise<Record<string, number>> {
  const dataDir = mkdtempSync(join(tmpdir(), "bench-webhooks-"));
  const adminToken = `bench-${randomBytes(12).toString("hex")}`;
  const stack = await startStack({ dataDir, port: await freePort(), adminToken, secretEncryptionKey: newSecretEncryptionKey() });
  const arrivals = new Map<string, { at: number; body: string; headers: IncomingHttpHeaders }>();
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const at = Date.now();
      const body = Buffer.concat(chunks).toString();
      arrivals.set(JSON.parse(body).data.id, { at, body, headers: req.headers });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  try {
    const created = await fetch(`${stack.url}/admin/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "bench", budget_usd: "1000", budget_period: "day" }),
    });
    const key = (await created.json()) as { id: string; secret: string; webhook_secret: string };
    const client = new RunledgerClient({ url: stack.url, keyId: key.id, secret: key.secret });
    const verifier = new Webhook(key.webhook_secret);
    const latencies: number[] = [];
    const endToEnd: number[] = [];
    for (let i = 0; i < RUNS + 3; i++) {
      const started = Date.now();
      const submitted = await client.request<{ id: string }>("POST", "/v1/executions", { code: "print(1)", webhook_url: hook });
      const deadline = Date.now() + 10_000;
      while (!arrivals.has(submitted.body.id)) {
        if (Date.now() > deadline) throw new Error(`no webhook for ${submitted.body.id}`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const arrival = arrivals.get(submitted.body.id);
      if (!arrival) continue;
      const event = verifier.verify(arrival.body, arrival.headers as Record<string, string>) as { data: { finished_at: string } };
      if (i >= 3) {
        latencies.push(arrival.at - Date.parse(event.data.finished_at));
        endToEnd.push(arrival.at - started);
      }
    }
    const direct: number[] = [];
    const host = stack.sandboxHost;
    if (host) {
      const opts = { apiUrl: host.url, sandboxUrl: host.url, apiKey: stack.e2bApiKey };
      for (let i = 0; i < RUNS + 3; i++) {
        const started = Date.now();
        const sandbox = await Sandbox.create("code-interpreter-v1", { ...opts, timeoutMs: 60_000 });
        await sandbox.runCode("print(1)");
        await sandbox.kill();
        if (i >= 3) direct.push(Date.now() - started);
      }
    }
    const row = (name: string, t: number[]) => [name, percentile(t, 50).toFixed(1), percentile(t, 95).toFixed(1)];
    printTable(
      `webhooks and end to end: print(1), ${RUNS} runs each, one at a time`,
      ["scenario", "median ms", "p95 ms"],
      [
        row("finished_at → verified webhook", latencies),
        row("signed submit → verified webhook", endToEnd),
        row("E2B SDK directly: create, runCode, kill (baseline)", direct),
      ],
    );
    const overhead = percentile(endToEnd, 50) - percentile(direct, 50);
    console.log(
      `end-to-end overhead over the direct SDK call (median): ${overhead.toFixed(1)} ms, ${(percentile(endToEnd, 50) / percentile(direct, 50)).toFixed(2)}x`,
    );
    return {
      webhook_median_ms: percentile(latencies, 50),
      webhook_p95_ms: percentile(latencies, 95),
      end_to_end_median_ms: percentile(endToEnd, 50),
      end_to_end_p95_ms: percentile(endToEnd, 95),
      direct_sdk_median_ms: percentile(direct, 50),
    };
  } finally {
    receiver.closeAllConnections();
    receiver.close();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
