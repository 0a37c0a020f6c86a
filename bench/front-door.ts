import { startBenchStack } from "./bench-stack.js";
import { closedLoop, type LoadResult } from "./load.js";
import { cpuDuring, stackProcesses } from "./processes.js";
import { printTable } from "./stats.js";

// The front door: signed submits accepted per second at a fixed concurrency (each one verified,
// budget reserved, execution recorded and queued), next to a bare Hono route in the same workerd
// that answers 202 without touching the database. No consumer drains the run queue meanwhile.
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const DURATION_MS = Number(process.env.BENCH_FRONT_DOOR_MS ?? 20_000);
// Many callers, as a fleet of CI jobs would be, so that no key's concurrency cap is what limits.
const KEYS = 48;

export async function benchFrontDoor(): Promise<Record<string, number>> {
  const bench = await startBenchStack({ runQueue: false });
  try {
    const clients = await Promise.all(Array.from({ length: KEYS }, () => bench.newKey()).map((k) => k.then((x) => x.client)));
    const body = JSON.stringify({ code: "print(1)", timeout_ms: 10_000 });
    const submit = async (caller: number, path: string) => {
      const client = clients[caller % KEYS] as (typeof clients)[number];
      const headers = await client.signedHeaders("POST", path, body);
      const res = await fetch(`${client.url}${path}`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body,
      });
      await res.arrayBuffer();
      return res.status;
    };
    // Warm both paths (isolate, connections) before measuring.
    await closedLoop(CONCURRENCY, 2_000, 202, (c) => submit(c, "/bench/accept"));
    await closedLoop(CONCURRENCY, 2_000, 202, (c) => submit(c, "/v1/executions"));
    const bare = await closedLoop(CONCURRENCY, DURATION_MS, 202, (c) => submit(c, "/bench/accept"));
    const { result: real, cpu } = await cpuDuring(stackProcesses(bench.host.pid), () =>
      closedLoop(CONCURRENCY, DURATION_MS, 202, (c) => submit(c, "/v1/executions")),
    );
    const row = (name: string, r: LoadResult) => [
      name,
      r.rate.toFixed(0),
      r.p50.toFixed(1),
      r.p99.toFixed(1),
      Object.entries(r.statuses)
        .map(([status, n]) => `${status}×${n}`)
        .join(" "),
    ];
    printTable(
      `front door: concurrency ${CONCURRENCY} for ${DURATION_MS / 1000} s each, ${KEYS} keys`,
      ["route", "accepted/s", "p50 ms", "p99 ms", "answers"],
      [row("signed POST /v1/executions", real), row("bare Hono route, 202, no database (ceiling)", bare)],
    );
    console.log(`front door over the ceiling: ${((real.rate / bare.rate) * 100).toFixed(0)}% of its rate`);
    const accepted = real.statuses[202] ?? 0;
    console.log(
      `CPU per accepted submit: ${Object.entries(cpu)
        .map(([name, s]) => `${name} ${((s * 1000) / Math.max(1, accepted)).toFixed(2)} ms`)
        .join(", ")}`,
    );
    return {
      submit_per_s: real.rate,
      submit_p50_ms: real.p50,
      submit_p99_ms: real.p99,
      ceiling_per_s: bare.rate,
      ceiling_p99_ms: bare.p99,
      share_of_ceiling: real.rate / bare.rate,
    };
  } finally {
    await bench.stop();
  }
}
