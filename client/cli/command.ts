/** One CLI command: its name, a one-line summary for `runledger --help`, its own help, and what it does. */
export interface Command {
  name: string;
  summary: string;
  help: string;
  /** Resolves to the exit status; throws a `CliError` or `RunledgerError` to report one line and exit. */
  run(argv: string[]): Promise<number>;
}
