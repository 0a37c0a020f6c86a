import type { Execution } from "../../schemas/execution.js";
import { usd, utcTime } from "./format.js";
import { Layout } from "./layout.js";

export interface DeliveryRow {
  attempt: number;
  at: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

/** One execution of the key: how it ended, what it cost, its output, tags and webhook deliveries. Plain HTML. */
export function ExecutionPage(props: { execution: Execution; deliveries: DeliveryRow[]; back: string }) {
  const { execution: e, deliveries, back } = props;
  const result = e.result;
  const facts: Array<[string, string]> = [
    ["status", e.status.replace("_", " ")],
    ["exit code", result?.exit_code == null ? "–" : String(result.exit_code)],
    ["language", e.language],
    ["template", e.template],
    ["created", utcTime(e.created_at)],
    ["finished", e.finished_at ? utcTime(e.finished_at) : "–"],
    ["run", e.duration_ms === null ? "–" : `${e.duration_ms} ms`],
    ["sandbox", e.sandbox_ms === null ? "–" : `${e.sandbox_ms} ms`],
    ["cost", e.cost_usd === null ? `reserved ${usd(e.reserved_usd)}` : usd(e.cost_usd)],
    ["timeout", `${e.timeout_ms} ms`],
    ["tags", e.tags.length ? e.tags.join(", ") : "–"],
  ];
  return (
    <Layout title={`${e.id} · runledger`}>
      <main>
        <header>
          <h1>
            Execution
            <small class="mono">{e.id}</small>
          </h1>
          <a href={back}>← back to the dashboard</a>
        </header>
        <section class="card" id="summary">
          <table>
            <tbody>
              {facts.map(([name, value]) => (
                <tr data-fact={name}>
                  <th>{name}</th>
                  <td>{value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section class="card" id="output">
          <h2>Output</h2>
          {result === null ? (
            <p class="muted">No output yet: the execution has not finished.</p>
          ) : (
            <>
              <h3>stdout</h3>
              <pre data-stream="stdout">{result.stdout || "(empty)"}</pre>
              <h3>stderr</h3>
              <pre data-stream="stderr">{result.stderr || "(empty)"}</pre>
              {result.error ? (
                <>
                  <h3>error</h3>
                  <pre data-stream="error">{result.error.traceback || `${result.error.name}: ${result.error.value}`}</pre>
                </>
              ) : null}
              {result.truncated ? <p class="muted">Output was cut at the deployment's limit.</p> : null}
            </>
          )}
        </section>
        <section class="card" id="deliveries">
          <h2>Webhook deliveries</h2>
          {e.webhook === null ? (
            <p class="muted">No webhook_url was given.</p>
          ) : deliveries.length === 0 ? (
            <p class="muted">{`To ${e.webhook.url}: no attempt yet.`}</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th class="num">attempt</th>
                  <th>at (UTC)</th>
                  <th class="num">status</th>
                  <th class="num">took</th>
                  <th>error</th>
                </tr>
              </thead>
              <tbody>
                {deliveries.map((d) => (
                  <tr data-attempt={String(d.attempt)}>
                    <td class="num">{d.attempt}</td>
                    <td>{utcTime(d.at)}</td>
                    <td class="num">{d.status_code ?? "–"}</td>
                    <td class="num">{`${d.duration_ms} ms`}</td>
                    <td>{d.error ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </main>
    </Layout>
  );
}
