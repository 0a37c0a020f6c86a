import { Sandbox } from "@e2b/code-interpreter";
import type { Execution } from "../client/types.js";
import { startBenchStack } from "./bench-stack.js";
import { percentile, printTable } from "./stats.js";

// Live runs: the answer time of `POST ?wait=30` for print(1), next to the same code run through the
// E2B SDK directly (create, runCode, kill), interleaved in the same run; and how long after a
// timestamped print in the sandbox its event reaches a connected SSE client.
const RUNS = Number(process.env.BENCH_LIVE_RUNS ?? 100);
const PRINTS = Number(process.env.BENCH_LIVE_PRINTS ?? 40);
const WARMUP = 5;

export async function benchLive(): Promise<Record<string, number>> {
  const bench = await startBenchStack({ runQueue: true });
  try {
    const { client } = await bench.newKey();
    const sdk = { apiUrl: bench.host.url, sandboxUrl: bench.host.url, apiKey: bench.host.apiKey };

    async function waited(): Promise<number> {
      const started = performance.now();
      const res = await client.request<Execution>("POST", "/v1/executions?wait=30", { code: "print(1)" });
      const elapsed = performance.now() - started;
      if (res.status !== 200 || res.body.result?.stdout !== "1\n")
        throw new Error(`wait answered ${res.status}: ${JSON.stringify(res.body)}`);
      return elapsed;
    }

    async function direct(): Promise<number> {
      const started = performance.now();
      const sandbox = await Sandbox.create("code-interpreter-v1", { ...sdk, timeoutMs: 60_000 });
      const execution = await sandbox.runCode("print(1)");
      await sandbox.kill();
      if (execution.logs.stdout.join("") !== "1\n") throw new Error("the direct run printed something else");
      return performance.now() - started;
    }

    const wait: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < RUNS + WARMUP; i++) {
      const ours = await waited();
      const theirs = await direct();
      if (i < WARMUP) continue;
      wait.push(ours);
      baseline.push(theirs);
    }

    // Each print carries the sandbox's clock (the same machine's); the client notes when its event arrives.
    const code = `import time\nfor i in range(${PRINTS}):\n    print(f"{time.time() * 1000:.3f}", flush=True)\n    time.sleep(0.05)`;
    const submitted = await client.createExecution({ code, timeout_ms: 60_000 });
    const delays: number[] = [];
    for await (const event of client.events(submitted.id)) {
      const at = performance.timeOrigin + performance.now();
      if (event.event === "stdout") for (const line of event.data.text.trim().split("\n")) delays.push(at - Number(line));
      if (event.event === "end") break;
    }
    if (delays.length !== PRINTS) throw new Error(`${delays.length} of ${PRINTS} prints arrived`);

    const row = (name: string, t: number[]) => [name, percentile(t, 50).toFixed(1), percentile(t, 95).toFixed(1)];
    printTable(
      `live: print(1) with ?wait=30, ${RUNS} runs each, interleaved; ${PRINTS} timestamped prints`,
      ["measure", "median ms", "p95 ms"],
      [
        row("POST ?wait=30 → the finished execution", wait),
        row("E2B SDK directly: create, runCode, kill (baseline)", baseline),
        row("a print in the sandbox → its event at an SSE client", delays),
      ],
    );
    const ratio = percentile(wait, 50) / percentile(baseline, 50);
    console.log(`wait over the direct SDK call (medians): ${ratio.toFixed(2)}x`);
    return {
      wait_median_ms: percentile(wait, 50),
      wait_p95_ms: percentile(wait, 95),
      direct_sdk_median_ms: percentile(baseline, 50),
      wait_ratio: ratio,
      sse_delay_ms: percentile(delays, 50),
      sse_delay_p95_ms: percentile(delays, 95),
    };
  } finally {
    await bench.stop();
  }
}
