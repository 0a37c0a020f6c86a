import { type BenchStack, startBenchStack } from "./bench-stack.js";
import { closedLoop, type LoadResult } from "./load.js";
import { cpuDuring, stackProcesses } from "./processes.js";
import { printTable } from "./stats.js";

// The front door: signed submits accepted per second at a fixed concurrency (each one verified,
// budget reserved, execution recorded and queued), next to a bare Hono route in the same workerd
// that answers 202 without touching the database. No consumer drains the run queue meanwhile.
// Submits go over each database transport in turn (SQL over HTTP, the default; a pooled
// WebSocket connection), each on a stack of its own.
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const DURATION_MS = Number(process.env.BENCH_FRONT_DOOR_MS ?? 20_000);
// Many callers, as a fleet of CI jobs would be, so that no key's concurrency cap is what limits.
const KEYS = 48;
const BODY = JSON.stringify({ code: "print(1)", timeout_ms: 10_000 });

interface Measured {
  load: LoadResult;
  cpuMsPerSubmit: Record<string, number>;
}

async function submitter(bench: BenchStack) {
  const clients = await Promise.all(Array.from({ length: KEYS }, () => bench.newKey()).map((k) => k.then((x) => x.client)));
  return async (caller: number, path: string) => {
    const client = clients[caller % KEYS] as (typeof clients)[number];
    const headers = await client.signedHeaders("POST", path, BODY);
    const res = await fetch(`${client.url}${path}`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: BODY,
    });
    await res.arrayBuffer();
    return res.status;
  };
}

/** Submits over one transport; with `ceiling`, the bare route in the same workerd first. */
async function measure(transport: "http" | "websocket", ceiling: boolean): Promise<Measured & { bare?: LoadResult }> {
  const bench = await startBenchStack({ runQueue: false, workerVars: { DATABASE_TRANSPORT: transport } });
  try {
    const submit = await submitter(bench);
    // Warm both paths (isolate, connections) before measuring.
    await closedLoop(CONCURRENCY, 2_000, 202, (c) => submit(c, "/bench/accept"));
    await closedLoop(CONCURRENCY, 2_000, 202, (c) => submit(c, "/v1/executions"));
    const bare = ceiling ? await closedLoop(CONCURRENCY, DURATION_MS, 202, (c) => submit(c, "/bench/accept")) : undefined;
    const { result: load, cpu } = await cpuDuring(stackProcesses(bench.host.pid), () =>
      closedLoop(CONCURRENCY, DURATION_MS, 202, (c) => submit(c, "/v1/executions")),
    );
    const accepted = Math.max(1, load.statuses[202] ?? 0);
    const cpuMsPerSubmit = Object.fromEntries(Object.entries(cpu).map(([name, s]) => [name, (s * 1000) / accepted]));
    return { load, cpuMsPerSubmit, bare };
  } finally {
    await bench.stop();
  }
}

export async function benchFrontDoor(): Promise<Record<string, number>> {
  const http = await measure("http", true);
  const websocket = await measure("websocket", false);
  const bare = http.bare as LoadResult;
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
    [
      row("signed POST /v1/executions, SQL over HTTP (default)", http.load),
      row("signed POST /v1/executions, pooled WebSocket", websocket.load),
      row("bare Hono route, 202, no database (ceiling)", bare),
    ],
  );
  const cpuLine = (m: Measured) =>
    Object.entries(m.cpuMsPerSubmit)
      .map(([name, ms]) => `${name} ${ms.toFixed(2)} ms`)
      .join(", ");
  console.log(`front door over the ceiling: ${((http.load.rate / bare.rate) * 100).toFixed(0)}% of its rate`);
  console.log(`CPU per accepted submit over HTTP: ${cpuLine(http)}`);
  console.log(`CPU per accepted submit over WebSocket: ${cpuLine(websocket)}`);
  return {
    submit_per_s: http.load.rate,
    submit_p50_ms: http.load.p50,
    submit_p99_ms: http.load.p99,
    p99_over_p50: http.load.p99 / http.load.p50,
    workerd_cpu_ms_per_submit: http.cpuMsPerSubmit.workerd ?? 0,
    websocket_submit_per_s: websocket.load.rate,
    websocket_workerd_cpu_ms_per_submit: websocket.cpuMsPerSubmit.workerd ?? 0,
    ceiling_per_s: bare.rate,
    ceiling_p99_ms: bare.p99,
    share_of_ceiling: http.load.rate / bare.rate,
  };
}
