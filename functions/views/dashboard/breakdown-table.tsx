import { microsToUsd, usdToMicros } from "../../money.js";
import type { CostReport } from "../../schemas/money-reports.js";
import { usd } from "./format.js";

/** Cost rows grouped by one dimension (template, status), with a total line. */
export function BreakdownTable(props: { id: string; title: string; column: string; rows: CostReport["rows"] }) {
  const totalMs = props.rows.reduce((sum, r) => sum + r.sandbox_ms, 0);
  const totalRuns = props.rows.reduce((sum, r) => sum + r.executions, 0);
  const totalCost = microsToUsd(props.rows.reduce((sum, r) => sum + (usdToMicros(r.cost_usd) ?? 0n), 0n));
  return (
    <section class="card" id={props.id}>
      <h2>{props.title}</h2>
      {props.rows.length === 0 ? (
        <p class="muted">Nothing settled in this range.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>{props.column}</th>
              <th class="num">executions</th>
              <th class="num">sandbox s</th>
              <th class="num">cost</th>
            </tr>
          </thead>
          <tbody>
            {props.rows.map((r) => (
              <tr data-group={r.group} data-cost-usd={r.cost_usd}>
                <td>{r.group}</td>
                <td class="num">{r.executions}</td>
                <td class="num">{(r.sandbox_ms / 1000).toFixed(1)}</td>
                <td class="num">{usd(r.cost_usd)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <td>all</td>
              <td class="num">{totalRuns}</td>
              <td class="num">{(totalMs / 1000).toFixed(1)}</td>
              <td class="num">{usd(totalCost)}</td>
            </tr>
          </tfoot>
        </table>
      )}
    </section>
  );
}
