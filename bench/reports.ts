import { neonConfig } from "@neondatabase/serverless";
import { sql } from "drizzle-orm";
import ws from "ws";
import { createDatabase } from "../db/client.js";
import { startBenchStack } from "./bench-stack.js";
import { percentile, printTable } from "./stats.js";

// Cost reports over a large ledger: `/v1/costs` for a month reads the rollup that settlements
// keep, next to a one-query route (/healthz) and to aggregating the executions table itself.
const ROWS = Number(process.env.BENCH_LEDGER_ROWS ?? 1_000_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 60);

export async function benchReports(): Promise<Record<string, number>> {
  const bench = await startBenchStack({ runQueue: true });
  const { stack } = bench;
  neonConfig.webSocketConstructor = ws;
  const { db, close } = createDatabase({ databaseUrl: stack.databaseUrl, wsProxy: stack.wsProxy });
  try {
    const { client, keyId } = await bench.newKey({ budget_usd: "1000000", budget_period: "month" });
    const now = new Date();
    const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const seconds = Math.max(1, Math.floor((now.getTime() - monthStart.getTime()) / 1000));
    const seedStarted = performance.now();
    await db.execute(sql`
      insert into executions (id, key_id, status, language, template, timeout_ms, code, env, files, metadata, tags, created_at,
        started_at, finished_at, duration_ms, sandbox_ms, period_start, rate_picos_per_second, reserved_micros, cost_micros, settled_at)
      select 'exe_' || lpad(g::text, 24, '0'), ${keyId}, (array['succeeded','failed','timed_out','canceled'])[1 + g % 4],
        (array['python','javascript','bash'])[1 + g % 3], 'code-interpreter-v1', 30000, 'print(1)', '{}', '[]', '{}',
        (case g % 4 when 0 then '{}' when 1 then '{nightly}' when 2 then '{nightly,team:data}' else '{adhoc}' end)::text[],
        ${monthStart.toISOString()}::timestamptz + (g % ${seconds}) * interval '1 second', null, null, 40, 200 + g % 4000,
        ${monthStart.toISOString()}::timestamptz, 37000000, 1147, 37 * (1 + (200 + g % 4000) / 1000), now()
      from generate_series(1, ${ROWS}) g`);
    await db.execute(sql`
      insert into cost_rollups (key_id, day, template, language, status, executions, sandbox_ms, cost_micros)
      select key_id, (created_at at time zone 'UTC')::date, template, language, status, count(*), sum(sandbox_ms), sum(cost_micros)
      from executions where key_id = ${keyId} group by 1, 2, 3, 4, 5`);
    await db.execute(sql`
      insert into tag_cost_rollups (key_id, day, tag, template, language, status, executions, sandbox_ms, cost_micros)
      select key_id, (created_at at time zone 'UTC')::date, tag, template, language, status, count(*), sum(sandbox_ms), sum(cost_micros)
      from executions, unnest(case when cardinality(tags) = 0 then array[''] else tags end) as tag
      where key_id = ${keyId} group by 1, 2, 3, 4, 5, 6`);
    await db.execute(sql`analyze`);
    const seedMs = performance.now() - seedStarted;

    const timed = async (fn: () => Promise<unknown>) => {
      for (let i = 0; i < 5; i++) await fn();
      const times: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const start = performance.now();
        await fn();
        times.push(performance.now() - start);
      }
      return times;
    };
    let executions = 0;
    const costs = await timed(async () => {
      const res = await client.request<{ executions: number }>("GET", "/v1/costs");
      if (res.status !== 200) throw new Error(`costs answered ${res.status}`);
      executions = res.body.executions;
    });
    const byTag = await timed(async () => {
      const res = await client.request<{ executions: number }>("GET", "/v1/costs?group_by=tag");
      if (res.status !== 200 || res.body.executions !== ROWS) throw new Error(`costs by tag answered ${res.status}`);
    });
    const health = await timed(async () => (await fetch(`${stack.url}/healthz`)).text());
    const raw = await timed(() =>
      db.execute(sql`select (created_at at time zone 'UTC')::date as day, count(*), sum(sandbox_ms), sum(cost_micros)
                     from executions where key_id = ${keyId} and created_at >= ${monthStart.toISOString()}::timestamptz group by 1`),
    );
    if (executions !== ROWS) throw new Error(`the report counted ${executions} executions, not ${ROWS}`);
    const row = (name: string, t: number[]) => [name, percentile(t, 50).toFixed(1), percentile(t, 95).toFixed(1)];
    printTable(
      `reports: this month over ${ROWS.toLocaleString("en-US")} seeded executions (seeded in ${(seedMs / 1000).toFixed(1)} s), ${SAMPLES} requests each`,
      ["scenario", "median ms", "p95 ms"],
      [
        row("signed GET /v1/costs (rollup)", costs),
        row("signed GET /v1/costs?group_by=tag (tag rollup)", byTag),
        row("GET /healthz (one query, baseline)", health),
        row("SQL: aggregate executions directly (no rollup)", raw),
      ],
    );
    console.log(`/v1/costs over /healthz (median): ${(percentile(costs, 50) / percentile(health, 50)).toFixed(2)}x`);
    console.log(`/v1/costs?group_by=tag over /healthz (median): ${(percentile(byTag, 50) / percentile(health, 50)).toFixed(2)}x`);
    return {
      costs_median_ms: percentile(costs, 50),
      costs_p95_ms: percentile(costs, 95),
      costs_by_tag_median_ms: percentile(byTag, 50),
      costs_by_tag_over_healthz: percentile(byTag, 50) / percentile(health, 50),
      healthz_median_ms: percentile(health, 50),
      raw_sql_median_ms: percentile(raw, 50),
    };
  } finally {
    await close();
    await bench.stop();
  }
}
