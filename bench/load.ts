import { percentile } from "./stats.js";

export interface LoadResult {
  /** Answers per status code. */
  statuses: Record<number, number>;
  /** Answers with `expected` per second. */
  rate: number;
  p50: number;
  p99: number;
}

/**
 * A closed loop: `concurrency` callers each send the next request as soon as the last one was
 * answered, for `durationMs`. Latency percentiles are over the answers with `expected` status.
 */
export async function closedLoop(
  concurrency: number,
  durationMs: number,
  expected: number,
  send: (caller: number) => Promise<number>,
): Promise<LoadResult> {
  const statuses: Record<number, number> = {};
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, caller) => {
      while (performance.now() < end) {
        const sent = performance.now();
        const status = await send(caller).catch(() => 0);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === expected) latencies.push(performance.now() - sent);
      }
    }),
  );
  const elapsedS = (performance.now() - start) / 1000;
  return { statuses, rate: latencies.length / elapsedS, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}
