import type { DashboardData } from "../../services/dashboard-data.js";
import { BreakdownTable } from "./breakdown-table.js";
import { BudgetPanel } from "./budget-panel.js";
import { CostChart } from "./cost-chart.js";
import { usd, utcTime } from "./format.js";
import { LatestExecutions } from "./latest-executions.js";
import { Layout } from "./layout.js";

export interface DashboardProps {
  data: DashboardData;
  /** The link's proof, carried by the range form and the preset links. */
  link: { path: string; expires: number; sig: string };
  today: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const daysBefore = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) - n * DAY_MS).toISOString().slice(0, 10);

/** One key's cost dashboard: daily cost, budget, breakdowns and latest executions. Plain HTML and SVG. */
export function DashboardPage(props: DashboardProps) {
  const { data, link, today } = props;
  const href = (from: string, to: string) => `${link.path}?expires=${link.expires}&sig=${link.sig}&from=${from}&to=${to}`;
  const presets = [
    { label: "Last 7 days", from: daysBefore(today, 6) },
    { label: "Last 30 days", from: daysBefore(today, 29) },
    { label: "Last 90 days", from: daysBefore(today, 89) },
    { label: "This month", from: `${today.slice(0, 8)}01` },
  ];
  return (
    <Layout title={`Costs of ${data.key.name} · runledger`}>
      <main>
        <header>
          <h1>
            {data.key.name}
            <small class="mono">{data.key.id}</small>
          </h1>
          <span class="muted">runledger cost dashboard · link valid until {utcTime(new Date(link.expires * 1000).toISOString())}</span>
        </header>
        <section class="card" id="costs">
          <form class="range" method="get" action={link.path}>
            <input type="hidden" name="expires" value={String(link.expires)} />
            <input type="hidden" name="sig" value={link.sig} />
            <label>
              from
              <input type="date" name="from" value={data.from} />
            </label>
            <label>
              to
              <input type="date" name="to" value={data.to} />
            </label>
            <button type="submit">Show</button>
            <nav class="presets">
              {presets.map((p) => (
                <a href={href(p.from, today)}>{p.label}</a>
              ))}
            </nav>
          </form>
          <h2 style="margin-top:1rem">
            Daily cost, {data.from} to {data.to} <span class="muted">(UTC days, settled executions)</span>
          </h2>
          <dl class="totals">
            <div>
              <dt>Total</dt>
              <dd data-field="total_usd">{usd(data.totals.total_usd)}</dd>
            </div>
            <div>
              <dt>Executions</dt>
              <dd data-field="executions">{data.totals.executions}</dd>
            </div>
            <div>
              <dt>Sandbox time</dt>
              <dd data-field="sandbox_seconds">{data.totals.sandbox_seconds.toFixed(1)} s</dd>
            </div>
          </dl>
          <CostChart days={data.days} />
        </section>
        <BudgetPanel budget={data.budget} />
        <div class="grid">
          <BreakdownTable id="by-template" title="By template" column="template" rows={data.byTemplate} />
          <BreakdownTable id="by-status" title="By status" column="status" rows={data.byStatus} />
          <BreakdownTable id="by-tag" title="By tag (an execution under each of its tags)" column="tag" rows={data.byTag} />
        </div>
        <div style="height:1rem" />
        <LatestExecutions
          executions={data.latest}
          detail={(id) => `${link.path}/executions/${id}?expires=${link.expires}&sig=${link.sig}`}
        />
      </main>
    </Layout>
  );
}
