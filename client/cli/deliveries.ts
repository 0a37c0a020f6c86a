import { parse } from "./args.js";
import type { Command } from "./command.js";
import { keyClient } from "./config.js";
import { EXIT, usageError } from "./exit.js";
import { printHelp, printJson, table, wantsJson } from "./io.js";

/** The one execution id a command takes. */
function oneId(command: string, positionals: string[]): string {
  const [id, ...extra] = positionals;
  if (!id || extra.length) throw usageError(`${command} takes one execution id\nSee: runledger ${command} --help`);
  return id;
}

const deliveriesHelp = `Usage: runledger deliveries ID [--json]

Lists every attempt to deliver the execution's webhook, oldest first: when, the receiver's HTTP
status (or the error when none came back) and how long it took. A table on a terminal; the server's
JSON ({data}) with --json or when the output is piped or redirected.`;

export const deliveriesCommand: Command = {
  name: "deliveries",
  summary: "the attempts to deliver an execution's webhook",
  help: deliveriesHelp,
  async run(argv) {
    const { values, positionals } = parse("deliveries", argv, { json: { type: "boolean" } });
    if (values.help) return printHelp(deliveriesHelp);
    const id = oneId("deliveries", positionals);
    const deliveries = await keyClient().listDeliveries(id);
    if (wantsJson(values.json)) return printJson({ data: deliveries });
    if (deliveries.length === 0) {
      console.log(`no delivery attempts for ${id} (yet, or it has no webhook_url)`);
      return EXIT.ok;
    }
    const rows = deliveries.map((d) => [
      String(d.attempt),
      d.at,
      d.status_code === null ? "-" : String(d.status_code),
      `${d.duration_ms} ms`,
      d.error ?? "",
    ]);
    console.log(table([["attempt", "at", "status", "took", "error"], ...rows], "rlrrl"));
    return EXIT.ok;
  },
};

const redeliverHelp = `Usage: runledger redeliver ID [--json]

Queues one more delivery of the execution's final webhook (the same webhook-id, so a receiver that
de-duplicates sees it once), e.g. after fixing the receiver. Follow it with runledger deliveries ID.

Options:
      --json   print the execution (its webhook pending again) as JSON`;

export const redeliverCommand: Command = {
  name: "redeliver",
  summary: "deliver an execution's final webhook once more",
  help: redeliverHelp,
  async run(argv) {
    const { values, positionals } = parse("redeliver", argv, { json: { type: "boolean" } });
    if (values.help) return printHelp(redeliverHelp);
    const execution = await keyClient().redeliver(oneId("redeliver", positionals));
    if (values.json) return printJson(execution);
    console.log(`queued another delivery of ${execution.id}'s webhook to ${execution.webhook?.url ?? "its webhook_url"}`);
    return EXIT.ok;
  },
};
