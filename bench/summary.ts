import { printTable } from "./stats.js";

type Results = Record<string, Record<string, number>>;

interface Target {
  scenario: string;
  what: string;
  value: (r: Record<string, number>) => number | undefined;
  format: (v: number) => string;
  goal: string;
  met: (v: number) => boolean;
}

const ms = (v: number) => `${v.toFixed(1)} ms`;
const pct = (v: number) => `${(v * 100).toFixed(0)}%`;

const TARGETS: Target[] = [
  {
    scenario: "front-door",
    what: "accepted submits/s at concurrency 32",
    value: (r) => r.submit_per_s,
    format: (v) => v.toFixed(0),
    goal: "≥ 1000",
    met: (v) => v >= 1000,
  },
  { scenario: "front-door", what: "submit p99", value: (r) => r.submit_p99_ms, format: ms, goal: "≤ 50 ms", met: (v) => v <= 50 },
  {
    scenario: "front-door",
    what: "share of the bare route's rate",
    value: (r) => r.share_of_ceiling,
    format: pct,
    goal: "≥ 60%",
    met: (v) => v >= 0.6,
  },
  {
    scenario: "front-door",
    what: "submit p99 over p50",
    value: (r) => r.p99_over_p50,
    format: (v) => `${v.toFixed(2)}x`,
    goal: "≤ 3x",
    met: (v) => v <= 3,
  },
  {
    scenario: "front-door",
    what: "workerd CPU per accepted submit",
    value: (r) => r.workerd_cpu_ms_per_submit,
    format: ms,
    goal: "≤ 3 ms",
    met: (v) => v <= 3,
  },
  {
    scenario: "end-to-end",
    what: "overhead over the direct SDK (median)",
    value: (r) => r.overhead_median_ms,
    format: ms,
    goal: "≤ 15 ms",
    met: (v) => v <= 15,
  },
  {
    scenario: "end-to-end",
    what: "ratio to the direct SDK (median)",
    value: (r) => r.overhead_ratio,
    format: (v) => `${v.toFixed(2)}x`,
    goal: "≤ 1.25x",
    met: (v) => v <= 1.25,
  },
  {
    scenario: "live",
    what: "POST ?wait=30 answer, ratio to the direct SDK (median)",
    value: (r) => r.wait_ratio,
    format: (v) => `${v.toFixed(2)}x`,
    goal: "≤ 1.3x",
    met: (v) => v <= 1.3,
  },
  {
    scenario: "live",
    what: "a print in the sandbox → its SSE event (median)",
    value: (r) => r.sse_delay_ms,
    format: ms,
    goal: "≤ 20 ms",
    met: (v) => v <= 20,
  },
  {
    scenario: "fleet",
    what: "completions/s, share of the host alone",
    value: (r) => r.share_of_host_alone,
    format: pct,
    goal: "≥ 90%",
    met: (v) => v >= 0.9,
  },
  {
    scenario: "fleet",
    what: "workerd CPU per execution",
    value: (r) => r.workerd_cpu_ms_per_execution,
    format: ms,
    goal: "≤ 6 ms",
    met: (v) => v <= 6,
  },
  {
    scenario: "fleet",
    what: "sandboxes left alive",
    value: (r) => r.leaked_sandboxes,
    format: (v) => String(v),
    goal: "0",
    met: (v) => v === 0,
  },
  {
    scenario: "fleet",
    what: "reservations left (µ$)",
    value: (r) => r.reserved_micros_left,
    format: (v) => String(v),
    goal: "0",
    met: (v) => v === 0,
  },
  {
    scenario: "fleet",
    what: "peak RSS, Worker (workerd)",
    value: (r) => r.worker_peak_rss_mib,
    format: (v) => `${v} MiB`,
    goal: "-",
    met: () => true,
  },
  {
    scenario: "fleet",
    what: "peak RSS, sandbox host and its sandboxes",
    value: (r) => r.sandbox_host_peak_rss_mib,
    format: (v) => `${v} MiB`,
    goal: "-",
    met: () => true,
  },
  { scenario: "capacity", what: "executions not succeeded", value: (r) => r.errors, format: String, goal: "0", met: (v) => v === 0 },
  {
    scenario: "capacity",
    what: "completions/s, share of the host alone at 20 callers",
    value: (r) => r.share_of_host,
    format: pct,
    goal: "≥ 90%",
    met: (v) => v >= 0.9,
  },
  {
    scenario: "capacity",
    what: "sandboxes alive at once, at most",
    value: (r) => r.peak_sandboxes,
    format: String,
    goal: "≤ 20",
    met: (v) => v <= 20,
  },
  {
    scenario: "idle",
    what: "statements to Postgres while quiet",
    value: (r) => r.postgres_statements,
    format: String,
    goal: "0",
    met: (v) => v === 0,
  },
  {
    scenario: "idle",
    what: "calls to the provider while quiet",
    value: (r) => r.provider_calls,
    format: String,
    goal: "0",
    met: (v) => v === 0,
  },
  {
    scenario: "reports",
    what: "/v1/costs month report at 1M executions (median)",
    value: (r) => r.costs_median_ms,
    format: ms,
    goal: "≤ 50 ms",
    met: (v) => v <= 50,
  },
  {
    scenario: "reports",
    what: "/v1/costs?group_by=tag month at 1M tagged executions (median)",
    value: (r) => r.costs_by_tag_median_ms,
    format: ms,
    goal: "≤ 50 ms",
    met: (v) => v <= 50,
  },
];

/** One table of every target the scenarios that ran can speak to. */
export function printSummary(results: Results): void {
  const rows = TARGETS.flatMap((t) => {
    const value = results[t.scenario] ? t.value(results[t.scenario] as Record<string, number>) : undefined;
    if (value === undefined) return [];
    return [[t.scenario, t.what, t.format(value), t.goal, t.goal === "-" ? "" : t.met(value) ? "met" : "NOT MET"]];
  });
  if (rows.length) printTable("summary: the targets", ["scenario", "measure", "value", "target", ""], rows);
}
