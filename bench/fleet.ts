import { Sandbox } from "@e2b/code-interpreter";
import { neonConfig } from "@neondatabase/serverless";
import { sql } from "drizzle-orm";
import ws from "ws";
import { createDatabase } from "../db/client.js";
import { startBenchStack } from "./bench-stack.js";
import { cpuDuring, MemorySampler, processTree, stackProcesses } from "./processes.js";
import { printTable } from "./stats.js";

// A fleet: many executions submitted by 32 callers, run at most CAP sandboxes at a time (the
// governor's MAX_SANDBOXES), next to the sandbox host alone running the same code through the SDK
// with CAP callers. Then nothing may be left over: no sandbox alive, no reservation held.
const EXECUTIONS = Number(process.env.BENCH_FLEET ?? 500);
export const CAP = 20;

export async function benchFleet(): Promise<Record<string, number>> {
  const fleet = await runFleet({ submitters: 32 });
  return {
    fleet_completions_per_s: fleet.rate,
    host_alone_completions_per_s: fleet.baselineRate,
    share_of_host_alone: fleet.rate / fleet.baselineRate,
    peak_sandboxes: fleet.peakSandboxes,
    leaked_sandboxes: fleet.leaked,
    reserved_micros_left: fleet.reservedMicrosLeft,
    worker_peak_rss_mib: fleet.workerPeakRssMib,
    workerd_cpu_ms_per_execution: fleet.workerdCpuMsPerExecution,
    sandbox_host_peak_rss_mib: fleet.hostPeakRssMib,
  };
}

export interface FleetMeasures {
  executions: number;
  rate: number;
  baselineRate: number;
  statuses: Record<string, number>;
  peakSandboxes: number;
  /** Creates the host refused (its cap) while runledger ran the fleet. */
  hostRefusals: number;
  leaked: number;
  reservedMicrosLeft: number;
  workerPeakRssMib: number;
  hostPeakRssMib: number;
  workerdCpuMsPerExecution: number;
}

/**
 * The fleet, run by `submitters` callers at once (the whole fleet at once for the capacity
 * scenario), against a host that refuses beyond `hostCap` if given.
 */
export async function runFleet(options: { submitters: number; hostCap?: number }): Promise<FleetMeasures> {
  const bench = await startBenchStack({ runQueue: true, hostMaxSandboxes: options.hostCap, workerVars: { MAX_SANDBOXES: String(CAP) } });
  neonConfig.webSocketConstructor = ws;
  const { db, close } = createDatabase({ databaseUrl: bench.stack.databaseUrl, wsProxy: bench.stack.wsProxy });
  const sdk = { apiUrl: bench.host.url, sandboxUrl: bench.host.url, apiKey: bench.host.apiKey };
  try {
    // Baseline: CAP callers, each creating, running and killing sandboxes back to back.
    let next = 0;
    const groups = stackProcesses(bench.host.pid);
    // Memory is sampled in both phases, so that sampling costs both the same.
    const baselineMemory = new MemorySampler({ "sandbox host": () => processTree(bench.host.pid) });
    baselineMemory.start();
    const baselineStart = performance.now();
    const { cpu: baselineCpu } = await cpuDuring(groups, () =>
      Promise.all(
        Array.from({ length: CAP }, async () => {
          while (next++ < EXECUTIONS) {
            const sandbox = await Sandbox.create("code-interpreter-v1", { ...sdk, timeoutMs: 60_000 });
            await sandbox.runCode("print(1)");
            await sandbox.kill();
          }
        }),
      ),
    );
    const baselineRate = EXECUTIONS / ((performance.now() - baselineStart) / 1000);
    const baselinePeaks = baselineMemory.stop();

    const { client, keyId } = await bench.newKey({ max_concurrency: EXECUTIONS });
    const memory = new MemorySampler({ workerd: groups.workerd as () => number[], "sandbox host": () => processTree(bench.host.pid) });
    const listAlive = async () =>
      (await Sandbox.list({ ...sdk, query: { metadata: {} } } as Parameters<typeof Sandbox.list>[0]).nextItems()).length;
    let peakSandboxes = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        peakSandboxes = Math.max(peakSandboxes, await listAlive().catch(() => 0));
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    const refusedBefore = (await bench.host.stats()).refused;
    memory.start();
    const started = performance.now();
    let submittedS = 0;
    const { cpu: fleetCpu } = await cpuDuring(groups, async () => {
      let submitted = 0;
      await Promise.all(
        Array.from({ length: options.submitters }, async () => {
          while (submitted < EXECUTIONS) {
            submitted++;
            const res = await client.request("POST", "/v1/executions", { code: "print(1)", timeout_ms: 10_000 });
            if (res.status !== 202) throw new Error(`fleet submit answered ${res.status}: ${JSON.stringify(res.body)}`);
          }
        }),
      );
      submittedS = (performance.now() - started) / 1000;
      const deadline = Date.now() + 10 * 60_000;
      for (;;) {
        const done = await db.execute<{ n: number }>(
          sql`select count(*)::int as n from executions where key_id = ${keyId} and settled_at is not null`,
        );
        if ((done.rows[0]?.n ?? 0) === EXECUTIONS) return;
        if (Date.now() > deadline) throw new Error("the fleet did not finish in 10 minutes");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });
    const elapsedS = (performance.now() - started) / 1000;
    watching = false;
    await watcher;
    const peaks = memory.stop();

    const statuses = await db.execute<{ status: string; n: number }>(
      sql`select status, count(*)::int as n from executions where key_id = ${keyId} group by status`,
    );
    // The last kills are confirmed just after the last results are recorded.
    let leaked = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 50 && leaked > 0; i++) {
      leaked = await listAlive();
      if (leaked > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const reserved = await db.execute<{ micros: string }>(sql`select coalesce(sum(reserved_micros), 0)::text as micros from budget_usage`);
    const fleetRate = EXECUTIONS / elapsedS;
    printTable(
      `${options.hostCap ? "capacity" : "fleet"}: ${EXECUTIONS} × print(1) by ${options.submitters} callers, at most ${CAP} sandboxes at a time${options.hostCap ? `, the host refusing above ${options.hostCap}` : ""}`,
      ["scenario", "completions/s", "notes"],
      [
        [
          "runledger: signed submits → settled in the ledger",
          fleetRate.toFixed(1),
          `submitted in ${submittedS.toFixed(1)} s; ${statuses.rows.map((r) => `${r.status} ${r.n}`).join(", ")}`,
        ],
        ["sandbox host alone: SDK create, runCode, kill (baseline)", baselineRate.toFixed(1), `${CAP} callers`],
      ],
    );
    console.log(
      `fleet over the host alone: ${((fleetRate / baselineRate) * 100).toFixed(0)}%; left after: ${leaked} sandboxes, ${reserved.rows[0]?.micros} µ$ reserved`,
    );
    const perRun = (cpu: Record<string, number>) =>
      Object.entries(cpu)
        .map(([name, seconds]) => `${name} ${((seconds * 1000) / EXECUTIONS).toFixed(1)}`)
        .join(", ");
    console.log(`CPU ms per execution, runledger: ${perRun(fleetCpu)}`);
    console.log(`CPU ms per execution, host alone: ${perRun(baselineCpu)}`);
    console.log(
      `peak RSS during the fleet: Worker (workerd) ${peaks.workerd} MiB, sandbox host ${peaks["sandbox host"]} MiB (its process and its sandboxes'; ${baselinePeaks["sandbox host"]} MiB when used alone); at most ${peakSandboxes} sandboxes alive at once`,
    );
    return {
      executions: EXECUTIONS,
      rate: fleetRate,
      baselineRate,
      statuses: Object.fromEntries(statuses.rows.map((r) => [r.status, r.n])),
      peakSandboxes,
      hostRefusals: (await bench.host.stats()).refused - refusedBefore,
      leaked,
      reservedMicrosLeft: Number(reserved.rows[0]?.micros ?? 0),
      workerPeakRssMib: peaks.workerd ?? 0,
      workerdCpuMsPerExecution: ((fleetCpu.workerd ?? 0) * 1000) / EXECUTIONS,
      hostPeakRssMib: peaks["sandbox host"] ?? 0,
    };
  } finally {
    await close();
    await bench.stop();
  }
}
