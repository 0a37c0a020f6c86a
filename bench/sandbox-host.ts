import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sandbox } from "@e2b/code-interpreter";
import { Isolation, startLaunch } from "../local/sandbox-host/isolation.js";
import { loadTemplates } from "../local/sandbox-host/templates.js";
import { startHostProcess } from "./host-process.js";
import { percentile, printTable } from "./stats.js";

// The sandbox host alone: create → first output → kill of `print(1)` through the real SDK,
// next to spawning the same interpreter directly under the same isolation, in the same run.
const RUNS = Number(process.env.BENCH_RUNS ?? 100);
const CONTEXT_RUNS = Number(process.env.BENCH_CONTEXT_RUNS ?? 30);

export async function benchSandboxHost(): Promise<Record<string, number>> {
  const dataDir = mkdtempSync(join(tmpdir(), "bench-host-"));
  const host = await startHostProcess({ SANDBOX_HOST_DATA_DIR: dataDir });
  const isolation = Isolation.detect("auto", "local/sandbox-host/runtime");
  const opts = { apiUrl: host.url, sandboxUrl: host.url, apiKey: "bench" };
  const template = loadTemplates().get("code-interpreter-v1");
  if (!template) throw new Error("code-interpreter-v1 template missing");

  async function sdkRun(): Promise<number> {
    const start = performance.now();
    const sandbox = await Sandbox.create({ ...opts, timeoutMs: 60_000 });
    let firstOutput = 0;
    await sandbox.runCode("print(1)", {
      onStdout: () => {
        firstOutput ||= performance.now();
      },
    });
    await sandbox.kill();
    if (!firstOutput) throw new Error("no output");
    return performance.now() - start;
  }

  async function directRun(): Promise<number> {
    const home = mkdtempSync(join(tmpdir(), "bench-direct-"));
    const start = performance.now();
    const launch = isolation.prepare(
      { id: `direct${Date.now()}`, homeDir: home, template: template as NonNullable<typeof template>, allowInternetAccess: true },
      [isolation.python, "-c", "print(1)"],
    );
    await new Promise<void>((resolve, reject) => {
      const child = startLaunch(launch, [], ["ignore", "pipe", "inherit"]);
      child.stdout?.once("data", () => undefined);
      child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
    });
    const elapsed = performance.now() - start;
    await isolation.release(launch.cgroups);
    rmSync(home, { recursive: true, force: true });
    return elapsed;
  }

  async function sample(fn: () => Promise<number>): Promise<number[]> {
    for (let i = 0; i < 5; i++) await fn();
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push(await fn());
    return times;
  }

  async function sustained(limit: number): Promise<number> {
    const alive: Sandbox[] = [];
    try {
      while (alive.length < limit) {
        const batch = await Promise.all(Array.from({ length: 10 }, () => Sandbox.create({ ...opts, timeoutMs: 120_000 })));
        alive.push(...batch);
        const checks = await Promise.all(batch.map((s) => s.runCode("print(1)").catch(() => null)));
        if (checks.some((e) => e?.logs.stdout.join("") !== "1\n")) break;
      }
      const all = await Promise.all(alive.map((s) => s.runCode("2 + 2").catch(() => null)));
      return all.filter((e) => e?.text === "4").length;
    } finally {
      await Promise.all(alive.map((s) => s.kill().catch(() => false)));
    }
  }

  /** A new code context in a running sandbox, then its first `print(1)`: what a context costs. */
  async function contextCost(hostOpts: typeof opts): Promise<{ create: number[]; firstPrint: number[] }> {
    const sandbox = await Sandbox.create({ ...hostOpts, timeoutMs: 600_000 });
    const create: number[] = [];
    const firstPrint: number[] = [];
    try {
      for (let i = 0; i < CONTEXT_RUNS + 3; i++) {
        const start = performance.now();
        const context = await sandbox.createCodeContext({ language: "python" });
        const created = performance.now();
        const execution = await sandbox.runCode("print(1)", { context });
        if (execution.logs.stdout.join("") !== "1\n") throw new Error("no output from a new context");
        if (i >= 3) {
          create.push(created - start);
          firstPrint.push(performance.now() - created);
        }
        await sandbox.removeCodeContext(context.id);
      }
    } finally {
      await sandbox.kill();
    }
    return { create, firstPrint };
  }

  const direct = await sample(directRun);
  const sdk = await sample(sdkRun);
  const defaultKernel = await contextCost(opts);
  const atOnce = await sustained(Number(process.env.BENCH_SUSTAIN ?? 100));
  await host.stop();
  rmSync(dataDir, { recursive: true, force: true });
  // The same measures with the fast kernel, from a host told to keep it.
  const fastDir = mkdtempSync(join(tmpdir(), "bench-host-fast-"));
  const fastHost = await startHostProcess({ SANDBOX_HOST_DATA_DIR: fastDir, SANDBOX_HOST_PYTHON_KERNEL: "fast" });
  const fastKernel = await contextCost({ ...opts, apiUrl: fastHost.url, sandboxUrl: fastHost.url });
  await fastHost.stop();
  rmSync(fastDir, { recursive: true, force: true });
  const python =
    isolation.pythonEnv.kernel === "ipython" ? `IPython ${isolation.pythonEnv.ipythonVersion}` : "fast kernel (IPython not installed)";

  const row = (name: string, t: number[]) => [name, percentile(t, 50).toFixed(1), percentile(t, 95).toFixed(1)];
  printTable(
    `sandbox host: print(1), ${RUNS} runs each (isolation: ${isolation.bubblewrap ? "bubblewrap" : "none"}, limits: ${isolation.limits})`,
    ["scenario", "median ms", "p95 ms"],
    [
      row(`SDK create → first output → kill (${python})`, sdk),
      row("direct spawn, same isolation (baseline)", direct),
      row(`new context: create (${python})`, defaultKernel.create),
      row(`new context: first print(1) (${python})`, defaultKernel.firstPrint),
      row("new context: create (fast kernel)", fastKernel.create),
      row("new context: first print(1) (fast kernel)", fastKernel.firstPrint),
    ],
  );
  console.log(`ratio (median): ${(percentile(sdk, 50) / percentile(direct, 50)).toFixed(2)}x`);
  console.log(`sandboxes alive and answering at once: ${atOnce}`);
  return {
    sdk_median_ms: percentile(sdk, 50),
    sdk_p95_ms: percentile(sdk, 95),
    direct_median_ms: percentile(direct, 50),
    context_create_median_ms: percentile(defaultKernel.create, 50),
    context_first_print_median_ms: percentile(defaultKernel.firstPrint, 50),
    fast_context_create_median_ms: percentile(fastKernel.create, 50),
    fast_context_first_print_median_ms: percentile(fastKernel.firstPrint, 50),
    sandboxes_at_once: atOnce,
  };
}
