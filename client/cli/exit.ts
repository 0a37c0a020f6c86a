import { RunledgerError } from "../errors.js";
import type { ExecutionStatus } from "../types.js";

/** The CLI's exit statuses (the README's table says the same). */
export const EXIT = {
  ok: 0,
  /** The run failed: the code raised an error or exited non-zero. A webhook that does not verify. */
  failed: 1,
  usage: 2,
  /** No URL, key or secret (or admin token), or a local file that cannot be read. */
  config: 3,
  /** The server answered an error (its code and message are printed), or could not be reached. */
  api: 4,
  /** The platform could not run the code (status `error`). */
  platformError: 5,
  /** The run was canceled (by someone else; Ctrl-C gives 130). */
  canceled: 6,
  timedOut: 124,
  interrupted: 130,
} as const;

export function exitCodeFor(status: ExecutionStatus): number {
  switch (status) {
    case "succeeded":
      return EXIT.ok;
    case "failed":
      return EXIT.failed;
    case "timed_out":
      return EXIT.timedOut;
    case "canceled":
      return EXIT.canceled;
    case "error":
      return EXIT.platformError;
    default:
      return EXIT.ok;
  }
}

/** A failure the CLI reports in one line and exits with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);
export const configError = (message: string) => new CliError(message, EXIT.config);

/** The lines to print for an error, and the exit status it stands for. */
export function describeError(error: unknown): { lines: string[]; exitCode: number } {
  if (error instanceof CliError) return { lines: [error.message], exitCode: error.exitCode };
  if (error instanceof RunledgerError) {
    const where = error.status ? ` (HTTP ${error.status})` : "";
    const lines = [`${error.code}${where}: ${error.message}`];
    if (error.details !== undefined && error.code !== "network_error") lines.push(`  details: ${JSON.stringify(error.details)}`);
    if (error.requestId) lines.push(`  request id: ${error.requestId}`);
    const hint = hintFor(error);
    if (hint) lines.push(`  hint: ${hint}`);
    return { lines, exitCode: EXIT.api };
  }
  return { lines: [(error as Error)?.stack ?? String(error)], exitCode: EXIT.api };
}

/** What to try next, for the errors a setting on the caller's side usually causes. */
function hintFor(error: RunledgerError): string | null {
  if (error.code === "network_error") {
    return "is runledger running there? Point RUNLEDGER_URL at your deployment, or start a local stack with `npm start` in a clone of runledger";
  }
  if (error.code === "unauthorized" && /admin token/.test(error.message))
    return "check RUNLEDGER_ADMIN_TOKEN (the deployment's ADMIN_TOKEN)";
  if (error.code === "unauthorized") {
    return "check RUNLEDGER_KEY and RUNLEDGER_SECRET: the key must exist on the deployment at RUNLEDGER_URL, and the secret be its current one";
  }
  if (error.code === "timestamp_out_of_range") return "this machine's clock is more than 300 s off the server's";
  return null;
}
