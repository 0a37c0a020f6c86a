import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Sandbox } from "@e2b/code-interpreter";
import { Webhook } from "standardwebhooks";
import { startBenchStack } from "./bench-stack.js";
import { percentile, printTable } from "./stats.js";

// End to end: `print(1)` from a signed submit to a receiver on loopback holding the verified
// webhook, next to the same code run by calling the E2B SDK directly (create, runCode, kill)
// against the same sandbox host, interleaved in the same run. Also: from the execution's
// `finished_at` in the ledger to the verified webhook.
const RUNS = Number(process.env.BENCH_E2E_RUNS ?? 200);
const WARMUP = 5;

export async function benchEndToEnd(): Promise<Record<string, number>> {
  const bench = await startBenchStack({ runQueue: true });
  const arrivals = new Map<string, { at: number; body: string; headers: IncomingHttpHeaders }>();
  const waiting = new Map<string, () => void>();
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const at = performance.timeOrigin + performance.now();
      const body = Buffer.concat(chunks).toString();
      const id = (JSON.parse(body) as { data: { id: string } }).data.id;
      arrivals.set(id, { at, body, headers: req.headers });
      waiting.get(id)?.();
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  try {
    const { client, webhookSecret } = await bench.newKey();
    const verifier = new Webhook(webhookSecret);
    const sdk = { apiUrl: bench.host.url, sandboxUrl: bench.host.url, apiKey: bench.host.apiKey };

    async function viaRunledger(): Promise<{ total: number; afterFinish: number }> {
      const started = performance.timeOrigin + performance.now();
      const res = await client.request<{ id: string }>("POST", "/v1/executions", { code: "print(1)", webhook_url: hook });
      if (res.status !== 202) throw new Error(`submit answered ${res.status}: ${JSON.stringify(res.body)}`);
      const id = res.body.id;
      if (!arrivals.has(id)) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no webhook for ${id} in 10 s`)), 10_000);
          waiting.set(id, () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      const arrival = arrivals.get(id) as { at: number; body: string; headers: IncomingHttpHeaders };
      const event = verifier.verify(arrival.body, arrival.headers as Record<string, string>) as {
        data: { status: string; finished_at: string; result: { stdout: string } };
      };
      if (event.data.status !== "succeeded" || event.data.result.stdout !== "1\n") throw new Error(`unexpected result for ${id}`);
      return { total: arrival.at - started, afterFinish: arrival.at - Date.parse(event.data.finished_at) };
    }

    async function direct(): Promise<number> {
      const started = performance.now();
      const sandbox = await Sandbox.create("code-interpreter-v1", { ...sdk, timeoutMs: 60_000 });
      const execution = await sandbox.runCode("print(1)");
      await sandbox.kill();
      if (execution.logs.stdout.join("") !== "1\n") throw new Error("the direct run printed something else");
      return performance.now() - started;
    }

    const endToEnd: number[] = [];
    const afterFinish: number[] = [];
    const baseline: number[] = [];
    // Interleaved, so that a slow spell of the machine falls on both alike.
    for (let i = 0; i < RUNS + WARMUP; i++) {
      const ours = await viaRunledger();
      const theirs = await direct();
      if (i < WARMUP) continue;
      endToEnd.push(ours.total);
      afterFinish.push(ours.afterFinish);
      baseline.push(theirs);
    }
    const row = (name: string, t: number[]) => [name, percentile(t, 50).toFixed(1), percentile(t, 95).toFixed(1)];
    printTable(
      `end to end: print(1), ${RUNS} runs each, one at a time, interleaved`,
      ["scenario", "median ms", "p95 ms"],
      [
        row("signed submit → verified webhook", endToEnd),
        row("E2B SDK directly: create, runCode, kill (baseline)", baseline),
        row("finished_at in the ledger → verified webhook", afterFinish),
      ],
    );
    const overhead = percentile(endToEnd, 50) - percentile(baseline, 50);
    const ratio = percentile(endToEnd, 50) / percentile(baseline, 50);
    console.log(`overhead over the direct SDK call (medians): ${overhead.toFixed(1)} ms, ${ratio.toFixed(2)}x`);
    return {
      end_to_end_median_ms: percentile(endToEnd, 50),
      end_to_end_p95_ms: percentile(endToEnd, 95),
      direct_sdk_median_ms: percentile(baseline, 50),
      direct_sdk_p95_ms: percentile(baseline, 95),
      overhead_median_ms: overhead,
      overhead_ratio: ratio,
      webhook_after_finish_median_ms: percentile(afterFinish, 50),
    };
  } finally {
    receiver.closeAllConnections();
    receiver.close();
    await bench.stop();
  }
}
