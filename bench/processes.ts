import { readFileSync } from "node:fs";
import { descendants } from "../local/proc.js";

/** Samples the resident memory of processes while a benchmark runs; Linux only (reads /proc). */
export class MemorySampler {
  private readonly peaks = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | undefined;

  /** `groups` names each process tree to watch by its root pid. */
  constructor(private readonly groups: Record<string, () => number[]>) {}

  start(intervalMs = 250): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  /** The peak of each group's summed RSS, in MiB. */
  stop(): Record<string, number> {
    clearInterval(this.timer);
    this.sample();
    return Object.fromEntries([...this.peaks].map(([name, kib]) => [name, Math.round(kib / 1024)]));
  }

  private sample(): void {
    for (const [name, pids] of Object.entries(this.groups)) {
      const total = pids().reduce((sum, pid) => sum + rssKib(pid), 0);
      this.peaks.set(name, Math.max(this.peaks.get(name) ?? 0, total));
    }
  }
}

function rssKib(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** `pid` and all its descendants. */
export function processTree(pid: number): number[] {
  return [pid, ...descendants(pid)];
}

/**
 * CPU seconds a process has used so far (Linux ticks at 100 Hz), with the children it has reaped
 * when asked (Postgres's backends come and go under its postmaster); null once it has ended.
 */
function cpuOf(pid: number, withReaped: boolean): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat
      .slice(stat.lastIndexOf(")") + 2)
      .split(" ")
      .map(Number);
    return ((fields[11] ?? 0) + (fields[12] ?? 0) + (withReaped ? (fields[13] ?? 0) + (fields[14] ?? 0) : 0)) / 100;
  } catch {
    return null;
  }
}

/** The CPU each named process group used while `work` ran, in seconds (processes alive throughout). */
export async function cpuDuring<T>(
  groups: Record<string, () => number[]>,
  work: () => Promise<T>,
): Promise<{ result: T; cpu: Record<string, number> }> {
  const start = Object.entries(groups).map(([name, pids]) => {
    const reaped = name === "postgres";
    return { name, reaped, pids: pids().map((pid) => ({ pid, before: cpuOf(pid, reaped) })) };
  });
  const result = await work();
  const cpu: Record<string, number> = {};
  for (const group of start) {
    cpu[group.name] = group.pids.reduce((sum, { pid, before }) => {
      const after = cpuOf(pid, group.reaped);
      return after === null || before === null ? sum : sum + after - before;
    }, 0);
  }
  return { result, cpu };
}

function named(comm: string): number[] {
  return processTree(process.pid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === comm;
    } catch {
      return false;
    }
  });
}

/** The stack's parts as process groups: the Worker, Postgres, the sandbox host, and this process. */
export function stackProcesses(hostPid: number): Record<string, () => number[]> {
  return {
    workerd: () => named("workerd"),
    postgres: () => named("postgres"),
    "sandbox host": () => processTree(hostPid),
    "bench + proxy": () => [process.pid],
  };
}
