import { startBenchStack } from "./bench-stack.js";
import { printTable } from "./stats.js";

// Idle: what the deployment sends to Postgres and to the sandbox provider once it is quiet, next
// to what it sends while it works (the same stack, the same run). Quiet means no statement and no
// provider call for four sweep intervals after the last run; the watch then lasts WATCH_S.
const SWEEP_INTERVAL_MS = 5000;
const WATCH_S = Number(process.env.BENCH_IDLE_WATCH_S ?? 120);

export async function benchIdle(): Promise<Record<string, number>> {
  const bench = await startBenchStack({ runQueue: true, workerVars: { SWEEP_INTERVAL_MS: String(SWEEP_INTERVAL_MS) } });
  try {
    const snapshot = async () => ({ statements: bench.stack.databaseStatements(), calls: (await bench.host.stats()).requests });
    const { client } = await bench.newKey();
    const before = await snapshot();
    const busyStart = performance.now();
    for (let i = 0; i < 20; i++) await client.run({ code: `print(${i})` }, { wait: 30 });
    const busy = await snapshot();
    const busyS = (performance.now() - busyStart) / 1000;

    const quietStart = performance.now();
    let last = busy;
    let lastChange = performance.now();
    while (performance.now() - lastChange < 4 * SWEEP_INTERVAL_MS) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const now = await snapshot();
      if (now.statements !== last.statements || now.calls !== last.calls) lastChange = performance.now();
      last = now;
    }
    const quietAfterS = (lastChange - quietStart) / 1000;
    const watchStart = await snapshot();
    await new Promise((resolve) => setTimeout(resolve, WATCH_S * 1000));
    const watchEnd = await snapshot();
    const statements = watchEnd.statements - watchStart.statements;
    const calls = watchEnd.calls - watchStart.calls;
    const perMinute = (n: number, s: number) => ((n / s) * 60).toFixed(0);
    printTable(
      `idle: 20 runs, then quiet (after ${quietAfterS.toFixed(0)} s of sweeps), then watched ${WATCH_S} s`,
      ["phase", "Postgres statements", "provider calls", "per minute"],
      [
        [
          `working: 20 × print(1) with ?wait (baseline), ${busyS.toFixed(1)} s`,
          String(busy.statements - before.statements),
          String(busy.calls - before.calls),
          `${perMinute(busy.statements - before.statements, busyS)} / ${perMinute(busy.calls - before.calls, busyS)}`,
        ],
        [
          `quiet: ${WATCH_S} s watched`,
          String(statements),
          String(calls),
          `${perMinute(statements, WATCH_S)} / ${perMinute(calls, WATCH_S)}`,
        ],
      ],
    );
    return { postgres_statements: statements, provider_calls: calls, quiet_after_s: quietAfterS, watched_s: WATCH_S };
  } finally {
    await bench.stop();
  }
}
