import { isFinal } from "../client.js";
import { parse } from "./args.js";
import type { Command } from "./command.js";
import { keyClient } from "./config.js";
import { EXIT, exitCodeFor, usageError } from "./exit.js";
import { followOutput, printEnding } from "./follow.js";
import { printHelp } from "./io.js";

const help = `Usage: runledger logs ID [--follow]

Prints what the execution printed so far: its stdout to stdout and its stderr to stderr.
  -f, --follow   keep printing as it prints until it ends, then print its error and exit with its
                 status (as run --wait does); Ctrl-C stops following and leaves the run alone`;

/** A second after the last event of a snapshot, nothing more is expected now. */
const SNAPSHOT_IDLE_MS = 1000;

export const logsCommand: Command = {
  name: "logs",
  summary: "print an execution's output, or follow it live",
  help,
  async run(argv) {
    const { values, positionals } = parse("logs", argv, { follow: { type: "boolean", short: "f" } });
    if (values.help) return printHelp(help);
    const [id, ...extra] = positionals;
    if (!id || extra.length) throw usageError("logs takes one execution id\nSee: runledger logs --help");
    const client = keyClient();
    const stopped = new AbortController();
    const onInterrupt = () => stopped.abort();
    process.once("SIGINT", onInterrupt);
    try {
      const finished = await followOutput(client, id, { signal: stopped.signal, idleMs: values.follow ? undefined : SNAPSHOT_IDLE_MS });
      if (stopped.signal.aborted) return EXIT.interrupted;
      if (!finished || !isFinal(finished)) return EXIT.ok;
      printEnding(finished);
      return values.follow ? exitCodeFor(finished.status) : EXIT.ok;
    } finally {
      process.off("SIGINT", onInterrupt);
    }
  },
};
