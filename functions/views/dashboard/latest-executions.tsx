import type { LatestExecution } from "../../services/dashboard-data.js";
import { usd } from "./format.js";

/** The key's latest executions, newest first, whatever their status. */
export function LatestExecutions(props: { executions: LatestExecution[]; detail: (id: string) => string }) {
  return (
    <section class="card" id="latest">
      <h2>Latest executions</h2>
      {props.executions.length === 0 ? (
        <p class="muted">No executions yet.</p>
      ) : (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th>id</th>
                <th>created (UTC)</th>
                <th>language</th>
                <th>template</th>
                <th>status</th>
                <th class="num">run ms</th>
                <th class="num">cost</th>
              </tr>
            </thead>
            <tbody>
              {props.executions.map((e) => (
                <tr data-execution={e.id} data-status={e.status}>
                  <td class="mono">
                    <a href={props.detail(e.id)}>{e.id}</a>
                  </td>
                  <td>{`${e.created_at.slice(0, 10)} ${e.created_at.slice(11, 19)}`}</td>
                  <td>{e.language}</td>
                  <td>{e.template}</td>
                  <td>
                    <span class={`status status-${e.status}`}>{e.status.replace("_", " ")}</span>
                  </td>
                  <td class="num">{e.duration_ms ?? "–"}</td>
                  <td class="num">{e.cost_usd === null ? "–" : usd(e.cost_usd)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
