import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { extname, resolve } from "node:path";
import { isFinal, RunledgerClient, RunledgerError } from "../../client/client.js";
import { saveOutputFiles } from "../../client/output-files.js";
import type { Execution, ExecutionCreateInput } from "../../client/types.js";
import { ActionError, booleanInput, input, integerInput, required } from "./inputs.js";
import { appendSummary, escapeData, fenced, setOutputs, UntrustedLog } from "./workflow.js";

// The runledger GitHub Action (action.yml): runs code through runledger's API, streams its output
// into the step's log as it is printed, writes a job summary and sets the step's outputs. Bundled
// with the typed client into action/index.mjs (npm run build:action), which the runner runs as is.

const BY_EXTENSION: Record<string, ExecutionCreateInput["language"]> = {
  ".py": "python",
  ".js": "javascript",
  ".mjs": "javascript",
  ".ts": "typescript",
  ".sh": "bash",
  ".r": "r",
  ".java": "java",
};
const SUMMARY_TAIL_LINES = 20;

/** The request body from the inputs. */
function executionBody(): ExecutionCreateInput {
  const file = input("file");
  const inline = input("code");
  if (!file === !inline) throw new ActionError("give exactly one of the inputs 'code' and 'file'");
  let code = inline;
  if (file) {
    try {
      code = readFileSync(file, "utf8");
    } catch (error) {
      throw new ActionError(`cannot read the file '${file}': ${(error as NodeJS.ErrnoException).code}`);
    }
  }
  const language = input("language", BY_EXTENSION[extname(file).toLowerCase()] ?? "python") as ExecutionCreateInput["language"];
  const body: ExecutionCreateInput = { code, language };
  const timeout = integerInput("timeout-ms");
  if (timeout !== undefined) body.timeout_ms = timeout;
  const template = input("template");
  if (template) body.template = template;
  const env: Record<string, string> = {};
  for (const line of input("env").split(/\r?\n/)) {
    if (!line.trim() || line.trim().startsWith("#")) continue;
    const at = line.indexOf("=");
    if (at <= 0) throw new ActionError(`each line of 'env' is NAME=VALUE; this one is not: '${line.trim()}'`);
    env[line.slice(0, at).trim()] = line.slice(at + 1);
  }
  if (Object.keys(env).length) body.env = env;
  const outputs = input("outputs")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));
  if (outputs.length) body.outputs = outputs;
  if (input("internet")) body.internet = booleanInput("internet", true);
  return body;
}

/** Submits, retrying only when the platform was unavailable or unreachable (one idempotency key: never two runs). */
async function submit(client: RunledgerClient, body: ExecutionCreateInput, idempotencyKey: string): Promise<Execution> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.createExecution(body, { idempotencyKey });
    } catch (error) {
      const transient = error instanceof RunledgerError && error.retryable;
      if (!transient || attempt >= 4) throw error;
      console.log(`${(error as Error).message}; retrying`);
      await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 1000));
    }
  }
}

/** Follows the run's events, its output streamed into the log, until its end or the deadline. */
async function follow(client: RunledgerClient, submitted: Execution, limitMs: number): Promise<Execution> {
  const log = new UntrustedLog();
  const timeout = AbortSignal.timeout(limitMs);
  try {
    for await (const event of client.events(submitted.id, { signal: timeout })) {
      if (event.event === "stdout" || event.event === "stderr") {
        log.begin("output");
        log.write(event.event, event.data.text);
      }
      if (event.event === "end") return event.data;
    }
  } catch (error) {
    if (timeout.aborted) throw new ActionError(`${submitted.id} did not finish within ${limitMs / 1000} s`);
    if (!(error instanceof RunledgerError && error.retryable)) throw error;
  } finally {
    log.end();
  }
  // The event stream broke for good: the execution's state decides.
  return client.waitForExecution(submitted.id, { timeoutMs: limitMs, signal: timeout });
}

function summarize(execution: Execution): void {
  const result = execution.result;
  const rows = [
    ["status", `\`${execution.status}\``],
    ["duration", execution.duration_ms === null ? "–" : `${execution.duration_ms} ms`],
    ["cost", execution.cost_usd === null ? "–" : `$${execution.cost_usd} (sandbox ${execution.sandbox_ms} ms)`],
    ["exit code", result?.exit_code == null ? "–" : String(result.exit_code)],
  ];
  let markdown = `### runledger \`${execution.id}\`\n\n| | |\n|---|---|\n${rows.map(([name, value]) => `| ${name} | ${value} |`).join("\n")}\n\n`;
  const tail = (result?.stdout ?? "")
    .split("\n")
    .slice(-SUMMARY_TAIL_LINES - 1)
    .join("\n");
  if (tail.trim()) markdown += `The output's last lines:\n\n${fenced(tail)}\n`;
  if (result?.error) markdown += `Error:\n\n${fenced(result.error.traceback || `${result.error.name}: ${result.error.value}`)}\n`;
  appendSummary(markdown);
}

async function main(): Promise<void> {
  const secret = required("secret");
  console.log(`::add-mask::${secret}`);
  const client = new RunledgerClient({ url: required("url").replace(/\/+$/, ""), keyId: required("key"), secret });
  const body = executionBody();
  const wait = booleanInput("wait", true);
  const failOnError = booleanInput("fail-on-error", true);
  const idempotencyKey = input("idempotency-key") || `gha-${randomUUID()}`;

  const submitted = await submit(client, body, idempotencyKey);
  console.log(`runledger execution ${submitted.id}: ${submitted.status}`);
  let execution = submitted;
  if (wait && !isFinal(submitted)) {
    const limitMs = (integerInput("max-wait-seconds") ?? Math.ceil(submitted.timeout_ms / 1000) + 300) * 1000;
    execution = await follow(client, submitted, limitMs);
    console.log(`runledger execution ${execution.id}: ${execution.status}`);
  }

  const result = execution.result;
  const files = result?.files ?? [];
  const filesDir = files.length ? resolve(process.env.GITHUB_WORKSPACE ?? ".", input("files-dir", "runledger-files")) : "";
  if (filesDir) {
    const written = saveOutputFiles(files, filesDir);
    console.log(`wrote ${written.length} output file(s) under ${filesDir}${result?.truncated ? " (some did not fit)" : ""}`);
  }
  setOutputs({
    "files-dir": filesDir,
    "execution-id": execution.id,
    status: execution.status,
    "exit-code": result?.exit_code == null ? "" : String(result.exit_code),
    stdout: result?.stdout ?? "",
    stderr: result?.stderr ?? "",
    "cost-usd": execution.cost_usd ?? "",
  });
  if (!wait) return;
  summarize(execution);
  if (result?.error) {
    const log = new UntrustedLog();
    log.begin("error");
    log.write("stdout", result.error.traceback || `${result.error.name}: ${result.error.value}`);
    log.end();
  }
  if (execution.cost_usd) console.log(`cost: $${execution.cost_usd} (sandbox ${execution.sandbox_ms} ms)`);
  if (execution.status !== "succeeded") {
    const why = result?.error ? `: ${result.error.name}: ${result.error.value}` : "";
    const message = `runledger execution ${execution.id} ended ${execution.status}${why}`;
    if (failOnError) {
      console.log(`::error title=runledger::${escapeData(message)}`);
      process.exitCode = 1;
    } else {
      console.log(`::warning title=runledger::${escapeData(message)}`);
    }
  }
}

main().catch((error: unknown) => {
  const message =
    error instanceof RunledgerError
      ? `${error.code}: ${error.message}${error.requestId ? ` (request id ${error.requestId})` : ""}`
      : error instanceof ActionError
        ? error.message
        : ((error as Error)?.stack ?? String(error));
  console.log(`::error title=runledger::${escapeData(message)}`);
  process.exitCode = 1;
});
