import type { ExecutionResult, ExecutionRow } from "../../db/schema/index.js";
import type { Services } from "../context.js";
import { type Outcome, SANDBOX_GRACE_MS } from "../ledger/index.js";
import { backoffMs, retry, SANDBOX_CAPACITY, SANDBOX_CREATES, SANDBOX_KILLS, type Sleep, sleep } from "../retry.js";
import { storableStrings, storableText } from "../text.js";
import { outputFiles } from "./output-files.js";
import { actualCostMicros } from "./pricing.js";
import { type CodeOutcome, isCapacityRefusal, type OutputSink, type RunningSandbox, type SandboxProvider } from "./sandbox-provider.js";
import { asScriptExit, withExitShim } from "./script-exit.js";

export type RunServices = Pick<Services, "sandboxes" | "clock" | "config"> & { sleep?: Sleep };

export interface RunHooks {
  /**
   * The sandbox exists (its create was sent at `createdAtMs`): claim the execution on it. False
   * when the execution can no longer run (a cancel came first); its sandbox is then killed unused.
   */
  claim(sandboxId: string, createdAtMs: number): Promise<boolean>;
  /** While the provider has no room: whether the execution still wants a sandbox (false: it was canceled). */
  stillWanted(): Promise<boolean>;
  /** Output as it is printed, as far as the output cap lets it into the result. */
  output?(stream: "stdout" | "stderr", text: string): void;
  /** Each rich result that fits the results cap, once the code has ended. */
  result?(result: Record<string, unknown>): void;
}

/** How a run went, for its runner to record. */
export type RunOutcome =
  /** The code ran (or the sandbox broke under it): the outcome to finish with. */
  | {
      kind: "ran";
      outcome: Outcome;
      /**
       * Settles once the sandbox's kill was confirmed (or given up on; the leak sweep then kills it).
       * The outcome does not wait for it, so the ledger and the webhook do not pay for the kill.
       */
      killed: Promise<void>;
    }
  /** No sandbox could be had for reasons other than capacity: the execution ends `error`, at no cost. */
  | { kind: "not_started"; reason: string }
  /** The execution was canceled before it could be claimed: nothing to record. */
  | { kind: "not_claimed" };

/**
 * Runs one execution in a fresh sandbox under a hard timeout and always kills the sandbox. A
 * provider with no room (429, 503) is waited out with backoff, never turned into an error; other
 * create failures are retried, then reported. The execution is claimed only once its sandbox
 * exists, so one waiting for room stays `queued`. Never throws for a failure of the code or the
 * sandbox.
 */
export async function runExecution(row: ExecutionRow, services: RunServices, hooks: RunHooks): Promise<RunOutcome> {
  const { clock, config } = services;
  const wait = services.sleep ?? sleep;
  const created = await createSandbox(services.sandboxes, row, clock, wait, hooks);
  if ("kind" in created) return created;
  const { sandbox, createdAt } = created;
  if (!(await hooks.claim(sandbox.id, createdAt).catch(() => false))) {
    await killWithRetries(sandbox, wait);
    return { kind: "not_claimed" };
  }

  const output = new CappedOutput(config.OUTPUT_LIMIT_BYTES, hooks.output);
  let status: Outcome["status"] = "succeeded";
  let code: CodeOutcome | null = null;
  let durationMs: number | null = null;
  let platformFailure: string | null = null;
  try {
    for (const file of row.files) {
      await sandbox.writeFile(file.path, file.encoding === "base64" ? base64ToBuffer(file.content) : file.content);
    }
    const startedAt = clock.now().getTime();
    const run =
      row.language === "bash"
        ? sandbox.runCommand(row.code, { envs: row.env, timeoutMs: row.timeoutMs + SANDBOX_GRACE_MS, output: output.sink })
        : sandbox.runCode(withExitShim(row.language, row.code), {
            language: row.language,
            envs: row.env,
            timeoutMs: row.timeoutMs + SANDBOX_GRACE_MS,
            output: output.sink,
          });
    const finished = await withDeadline(run, row.timeoutMs, wait);
    durationMs = Math.min(clock.now().getTime() - startedAt, row.timeoutMs);
    if (finished === "timed_out") {
      status = "timed_out";
      run.catch(() => {});
    } else {
      code = row.language === "bash" ? finished : asScriptExit(finished);
      status = code.error || code.exitCode !== 0 ? "failed" : "succeeded";
    }
  } catch (error) {
    // The sandbox broke under the run, or was killed by a cancel: the ledger keeps a cancel.
    status = "error";
    platformFailure = `the sandbox failed during the run: ${describe(error)}`;
  }
  const results = capResults(storableStrings(code?.results ?? []), config.RESULTS_LIMIT_BYTES, output);
  for (const kept of results) hooks.result?.(kept);
  const files =
    row.outputs.length > 0 && status !== "error"
      ? await collectOutputs(sandbox, row.outputs, config.RESULTS_LIMIT_BYTES - JSON.stringify(results).length)
      : { files: [], truncated: false };
  // Billed until the kill is sent: the sandbox does no more work for the caller after that. The
  // kill is confirmed while the outcome is recorded and the webhook sent, not before.
  const sandboxMs = Math.max(0, clock.now().getTime() - createdAt);
  const killed = killWithRetries(sandbox, wait);
  // Whatever bytes the code printed or returned, the ledger can hold them.
  const result: ExecutionResult = storableStrings({
    stdout: output.text.stdout,
    stderr: output.text.stderr,
    text: code?.text ?? null,
    results,
    error: code?.error ?? (platformFailure ? { name: "PlatformError", value: platformFailure, traceback: "" } : null),
    exit_code: code ? code.exitCode : null,
    truncated: output.truncated || files.truncated,
    files: files.files,
  });
  const outcome: Outcome = {
    status,
    finishedAt: clock.now(),
    durationMs,
    sandboxMs,
    costMicros: actualCostMicros(row.ratePicosPerSecond, sandboxMs),
    result,
  };
  return { kind: "ran", outcome, killed };
}

/** A sandbox for the run, with when its successful create was sent; waits out a provider with no room. */
async function createSandbox(
  provider: SandboxProvider,
  row: ExecutionRow,
  clock: RunServices["clock"],
  wait: Sleep,
  hooks: RunHooks,
): Promise<{ sandbox: RunningSandbox; createdAt: number } | Extract<RunOutcome, { kind: "not_started" | "not_claimed" }>> {
  const options = {
    template: row.template,
    timeoutMs: row.timeoutMs + SANDBOX_GRACE_MS,
    metadata: { runledger_execution: row.id },
    allowInternetAccess: row.internet,
  };
  for (let refusals = 1; ; refusals++) {
    let createdAt = 0;
    try {
      const sandbox = await retry(
        { ...SANDBOX_CREATES, retryable: (error) => !isCapacityRefusal(error) },
        () => {
          createdAt = clock.now().getTime();
          return provider.create(options);
        },
        wait,
      );
      return { sandbox, createdAt };
    } catch (error) {
      if (!isCapacityRefusal(error)) return { kind: "not_started", reason: `the sandbox would not start: ${describe(error)}` };
      await wait(backoffMs(SANDBOX_CAPACITY, refusals));
      if (!(await hooks.stillWanted().catch(() => true))) return { kind: "not_claimed" };
    }
  }
}

/** The files the run left that match its `outputs`, within what is left of the results cap; none (and `truncated`) if they cannot be read. */
async function collectOutputs(sandbox: RunningSandbox, patterns: string[], budget: number) {
  try {
    return outputFiles(await sandbox.collectFiles(patterns, budget), budget);
  } catch (error) {
    console.error(`collecting the output files of sandbox ${sandbox.id} failed: ${describe(error)}`);
    return { files: [], truncated: true };
  }
}

/** Kills the sandbox, retrying; past the last attempt the leak sweep finds it (it is tagged). */
async function killWithRetries(sandbox: RunningSandbox, wait: Sleep): Promise<void> {
  await retry(SANDBOX_KILLS, () => sandbox.kill(), wait).catch((error: unknown) =>
    console.error(`killing sandbox ${sandbox.id} failed: ${describe(error)}`),
  );
}

function withDeadline<T>(work: Promise<T>, ms: number, wait: Sleep): Promise<T | "timed_out"> {
  const done = new AbortController();
  const deadline = wait(ms, done.signal).then(() => "timed_out" as const);
  return Promise.race([work, deadline]).finally(() => done.abort());
}

/** stdout and stderr together, cut at a byte budget. */
class CappedOutput {
  readonly text = { stdout: "", stderr: "" };
  truncated = false;
  readonly sink: OutputSink = { stdout: (t) => this.add("stdout", t), stderr: (t) => this.add("stderr", t) };
  private used = 0;
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly limit: number,
    private readonly accepted?: (stream: "stdout" | "stderr", text: string) => void,
  ) {}

  private add(stream: "stdout" | "stderr", printed: string): void {
    if (this.truncated) return;
    const text = storableText(printed);
    const bytes = this.encoder.encode(text);
    let kept = text;
    if (this.used + bytes.length > this.limit) {
      const room = this.limit - this.used;
      kept = new TextDecoder().decode(bytes.slice(0, room)).replace(/\uFFFD$/, "");
      this.used = this.limit;
      this.truncated = true;
    } else {
      this.used += bytes.length;
    }
    this.text[stream] += kept;
    if (kept) this.accepted?.(stream, kept);
  }
}

function capResults(results: Record<string, unknown>[], limit: number, output: CappedOutput): Record<string, unknown>[] {
  const kept: Record<string, unknown>[] = [];
  let used = 0;
  for (const result of results) {
    const size = JSON.stringify(result).length;
    if (used + size > limit) {
      output.truncated = true;
      break;
    }
    kept.push(result);
    used += size;
  }
  return kept;
}

function base64ToBuffer(content: string): ArrayBuffer {
  const bytes = Uint8Array.from(atob(content), (c) => c.charCodeAt(0));
  return bytes.buffer;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
