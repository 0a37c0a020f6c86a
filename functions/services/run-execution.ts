import type { ExecutionResult, ExecutionRow } from "../../db/schema/index.js";
import type { Clock } from "./clock.js";
import type { Outcome } from "./ledger.js";
import { actualCostMicros } from "./pricing.js";
import type { CodeOutcome, OutputSink, RunningSandbox, SandboxProvider } from "./sandbox-provider.js";

export interface RunLimits {
  outputBytes: number;
  resultsBytes: number;
}

/** The sandbox's own deadline is this much beyond the run's, so it dies even if we do. */
export const SANDBOX_GRACE_MS = 30_000;
const CREATE_ATTEMPTS = 3;
const KILL_ATTEMPTS = 3;

export interface RunHooks {
  /** Called once the sandbox exists; false means the execution was canceled meanwhile. */
  sandboxStarted(sandboxId: string): Promise<boolean>;
}

export interface RunOutcome {
  outcome: Outcome;
  /**
   * Settles once the sandbox's kill was confirmed (or given up on; the leak sweep then kills it).
   * The outcome does not wait for it, so the ledger and the webhook do not pay for the kill.
   */
  killed: Promise<void>;
}

/**
 * Runs one execution in a fresh sandbox under a hard timeout and always kills the sandbox.
 * Returns the outcome to record; it never throws for a failure of the code or the sandbox.
 */
export async function runExecution(
  row: ExecutionRow,
  provider: SandboxProvider,
  clock: Clock,
  limits: RunLimits,
  hooks: RunHooks,
): Promise<RunOutcome> {
  const output = new CappedOutput(limits.outputBytes);
  const createdAt = clock.now().getTime();
  let sandbox: RunningSandbox;
  try {
    sandbox = await createWithRetries(provider, row);
  } catch (error) {
    return { outcome: platformError(clock, `the sandbox would not start: ${describe(error)}`), killed: Promise.resolve() };
  }

  let status: Outcome["status"] = "succeeded";
  let code: CodeOutcome | null = null;
  let durationMs: number | null = null;
  let platformFailure: string | null = null;
  try {
    // A cancel that got there first stops the run before any code runs.
    if (!(await hooks.sandboxStarted(sandbox.id))) {
      status = "canceled";
    } else {
      for (const file of row.files) {
        await sandbox.writeFile(file.path, file.encoding === "base64" ? base64ToBuffer(file.content) : file.content);
      }
      const startedAt = clock.now().getTime();
      const run =
        row.language === "bash"
          ? sandbox.runCommand(row.code, { envs: row.env, timeoutMs: row.timeoutMs + SANDBOX_GRACE_MS, output: output.sink })
          : sandbox.runCode(row.code, {
              language: row.language,
              envs: row.env,
              timeoutMs: row.timeoutMs + SANDBOX_GRACE_MS,
              output: output.sink,
            });
      const finished = await withDeadline(run, row.timeoutMs);
      durationMs = Math.min(clock.now().getTime() - startedAt, row.timeoutMs);
      if (finished === "timed_out") {
        status = "timed_out";
        run.catch(() => {});
      } else {
        code = finished;
        status = finished.error || finished.exitCode !== 0 ? "failed" : "succeeded";
      }
    }
  } catch (error) {
    // The sandbox broke under the run, or was killed by a cancel: the ledger keeps a cancel.
    status = "error";
    platformFailure = `the sandbox failed during the run: ${describe(error)}`;
  }
  // Billed until the kill is sent: the sandbox does no more work for the caller after that. The
  // kill is confirmed while the outcome is recorded and the webhook sent, not before.
  const sandboxMs = Math.max(0, clock.now().getTime() - createdAt);
  const killed = killWithRetries(sandbox);
  const result: ExecutionResult = {
    stdout: output.text.stdout,
    stderr: output.text.stderr,
    text: code?.text ?? null,
    results: capResults(code?.results ?? [], limits.resultsBytes, output),
    error: code?.error ?? (platformFailure ? { name: "PlatformError", value: platformFailure, traceback: "" } : null),
    exit_code: code ? code.exitCode : null,
    truncated: output.truncated,
  };
  return {
    outcome: {
      status,
      finishedAt: clock.now(),
      durationMs,
      sandboxMs,
      costMicros: actualCostMicros(row.ratePicosPerSecond, sandboxMs),
      result,
    },
    killed,
  };
}

async function createWithRetries(provider: SandboxProvider, row: ExecutionRow): Promise<RunningSandbox> {
  let lastError: unknown;
  for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
    try {
      return await provider.create({
        template: row.template,
        timeoutMs: row.timeoutMs + SANDBOX_GRACE_MS,
        metadata: { runledger_execution: row.id },
      });
    } catch (error) {
      lastError = error;
      await sleep(250 * 2 ** attempt);
    }
  }
  throw lastError;
}

/** Kills the sandbox, retrying; past the last attempt the leak sweep finds it (it is tagged). */
async function killWithRetries(sandbox: RunningSandbox): Promise<void> {
  for (let attempt = 0; attempt < KILL_ATTEMPTS; attempt++) {
    try {
      await sandbox.kill();
      return;
    } catch (error) {
      if (attempt === KILL_ATTEMPTS - 1) console.error(`killing sandbox ${sandbox.id} failed: ${describe(error)}`);
      else await sleep(200 * 2 ** attempt);
    }
  }
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T | "timed_out"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timed_out">((resolve) => {
    timer = setTimeout(() => resolve("timed_out"), ms);
  });
  return Promise.race([work, deadline]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}

function platformError(clock: Clock, message: string): Outcome {
  return {
    status: "error",
    finishedAt: clock.now(),
    durationMs: null,
    sandboxMs: null,
    costMicros: 0n,
    result: {
      stdout: "",
      stderr: "",
      text: null,
      results: [],
      error: { name: "PlatformError", value: message, traceback: "" },
      exit_code: null,
      truncated: false,
    },
  };
}

/** stdout and stderr together, cut at a byte budget. */
class CappedOutput {
  readonly text = { stdout: "", stderr: "" };
  truncated = false;
  readonly sink: OutputSink = { stdout: (t) => this.add("stdout", t), stderr: (t) => this.add("stderr", t) };
  private used = 0;
  private readonly encoder = new TextEncoder();

  constructor(private readonly limit: number) {}

  private add(stream: "stdout" | "stderr", text: string): void {
    if (this.truncated) return;
    const bytes = this.encoder.encode(text);
    if (this.used + bytes.length > this.limit) {
      const room = this.limit - this.used;
      this.text[stream] += new TextDecoder().decode(bytes.slice(0, room)).replace(/\uFFFD$/, "");
      this.used = this.limit;
      this.truncated = true;
      return;
    }
    this.text[stream] += text;
    this.used += bytes.length;
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
