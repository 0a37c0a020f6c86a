import type { RunledgerClient } from "../client.js";
import type { Execution } from "../types.js";

/**
 * Prints a run's output as it is printed, stdout to stdout and stderr to stderr, until the run
 * ends (the final execution) or `idleMs` passes with nothing new (null: a snapshot only).
 */
export async function followOutput(
  client: RunledgerClient,
  id: string,
  options: { signal?: AbortSignal; idleMs?: number; onOutput?: () => void } = {},
): Promise<Execution | null> {
  const idle = new AbortController();
  const stop = () => idle.abort();
  options.signal?.addEventListener("abort", stop, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const rearm = () => {
    if (options.idleMs === undefined) return;
    clearTimeout(timer);
    timer = setTimeout(stop, options.idleMs);
  };
  rearm();
  try {
    for await (const event of client.events(id, { signal: idle.signal })) {
      rearm();
      if (event.event === "stdout" || event.event === "stderr") {
        options.onOutput?.();
        (event.event === "stdout" ? process.stdout : process.stderr).write(event.data.text);
      }
      if (event.event === "end") return event.data;
    }
    return null;
  } catch (error) {
    // Stopped on purpose (Ctrl-C, or a snapshot's quiet second): what was printed stands.
    if (idle.signal.aborted) return null;
    throw error;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", stop);
  }
}

/** After the live output: the result, the error and a line on how it ended, where a shell user expects them. */
export function printEnding(execution: Execution): void {
  const result = execution.result;
  if (result) {
    if (result.text !== null) process.stdout.write(result.text.endsWith("\n") ? result.text : `${result.text}\n`);
    if (result.error) {
      const traceback = result.error.traceback || `${result.error.name}: ${result.error.value}`;
      process.stderr.write(traceback.endsWith("\n") ? traceback : `${traceback}\n`);
    }
    if (result.truncated) process.stderr.write("runledger: output was cut at the deployment's limit\n");
  }
  const summary: Partial<Record<Execution["status"], string>> = {
    timed_out: `timed out after ${execution.timeout_ms} ms`,
    canceled: "was canceled",
    error: "could not be run by the platform",
  };
  const exitCode = result?.exit_code;
  if (execution.status === "failed" && typeof exitCode === "number" && exitCode !== 0) summary.failed = `exited with code ${exitCode}`;
  const line = summary[execution.status];
  if (line) process.stderr.write(`runledger: ${execution.id} ${line}\n`);
}

/** The whole stored output, then the ending: for a run whose live events cannot be had. */
export function printResult(execution: Execution): void {
  if (execution.result) {
    process.stdout.write(execution.result.stdout);
    process.stderr.write(execution.result.stderr);
  }
  printEnding(execution);
}
