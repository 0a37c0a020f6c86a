import { closest } from "./args.js";
import type { Command } from "./command.js";
import { dashboardCommand } from "./dashboard.js";
import { deliveriesCommand, redeliverCommand } from "./deliveries.js";
import { cancelCommand, eventsCommand, getCommand, listCommand } from "./executions.js";
import { CliError, describeError, EXIT } from "./exit.js";
import { keysCommand } from "./keys.js";
import { logsCommand } from "./logs.js";
import { budgetCommand, costsCommand } from "./money.js";
import { runCommand } from "./run.js";
import { verifyWebhookCommand } from "./verify-webhook.js";

const commands: Command[] = [
  runCommand,
  getCommand,
  logsCommand,
  listCommand,
  cancelCommand,
  budgetCommand,
  costsCommand,
  eventsCommand,
  deliveriesCommand,
  redeliverCommand,
  dashboardCommand,
  verifyWebhookCommand,
  keysCommand,
];

const help = `Usage: runledger COMMAND [options]      (runledger COMMAND --help for each)

Commands:
${commands.map((c) => `  ${c.name.padEnd(16)}${c.summary}`).join("\n")}

Configuration (environment):
  RUNLEDGER_URL             the service, e.g. http://127.0.0.1:8787
  RUNLEDGER_KEY             the API key id, key_...
  RUNLEDGER_SECRET          its secret, sk_...
  RUNLEDGER_ADMIN_TOKEN     for keys: the deployment's ADMIN_TOKEN
  RUNLEDGER_WEBHOOK_SECRET  for verify-webhook: the key's whsec_... secret
When RUNLEDGER_KEY is not set, the dev key (and admin token) of a local stack started in this
directory with \`npm start\` are used, at http://127.0.0.1:8787 unless RUNLEDGER_URL says otherwise.

Exit status:
  0    success (run: the code succeeded)
  1    run: the code failed: it raised, or exited non-zero (printed as \`exited with code N\`);
       verify-webhook: not verified
  2    usage: unknown command or option, missing argument
  3    configuration: no URL, key, secret or token; a local file that cannot be read
  4    the server answered an error (its code and message are printed) or could not be reached
       (said at once, with a hint, when nothing listens at RUNLEDGER_URL)
  5    run: the platform could not run the code (status error)
  6    run: the execution was canceled
  124  run: the code hit its timeout (status timed_out)
  130  run: interrupted with Ctrl-C (the execution is canceled)`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(help);
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    const suggestion = closest(
      name,
      commands.map((c) => c.name),
    );
    throw new CliError(`unknown command '${name}'${suggestion ? `; did you mean ${suggestion}?` : ""}\nSee: runledger --help`, EXIT.usage);
  }
  return command.run(rest);
}

/** Exits once what was written has been flushed: piped output is not cut short. */
function exit(code: number): void {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

main(process.argv.slice(2)).then(exit, (error: unknown) => {
  const { lines, exitCode } = describeError(error);
  process.stderr.write(`runledger: ${lines.join("\n")}\n`);
  exit(exitCode);
});
