import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { RunledgerClient } from "../client/client.js";
import { freePort } from "../local/ports.js";
import { newSecretEncryptionKey, startStack } from "../local/stack.js";
import { percentile, printTable } from "./stats.js";

// Webhook latency: from an execution's final state in the ledger (`finished_at`) to a receiver
// on loopback holding the verified event.
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
    for (let i = 0; i < RUNS + 3; i++) {
      const submitted = await client.request<{ id: string }>("POST", "/v1/executions?wait=30", { code: "print(1)", webhook_url: hook });
      const deadline = Date.now() + 10_000;
      while (!arrivals.has(submitted.body.id)) {
        if (Date.now() > deadline) throw new Error(`no webhook for ${submitted.body.id}`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const arrival = arrivals.get(submitted.body.id);
      if (!arrival) continue;
      const event = verifier.verify(arrival.body, arrival.headers as Record<string, string>) as { data: { finished_at: string } };
      if (i >= 3) latencies.push(arrival.at - Date.parse(event.data.finished_at));
    }
    printTable(
      `webhooks: final state → verified event at a loopback receiver, ${RUNS} runs`,
      ["scenario", "median ms", "p95 ms"],
      [["finished_at → receiver", percentile(latencies, 50).toFixed(1), percentile(latencies, 95).toFixed(1)]],
    );
    return { webhook_median_ms: percentile(latencies, 50), webhook_p95_ms: percentile(latencies, 95) };
  } finally {
    receiver.closeAllConnections();
    receiver.close();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
