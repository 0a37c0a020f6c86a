import { EXECUTION_STATUSES } from "../types.js";
import { integer, oneOf, parse } from "./args.js";
import type { Command } from "./command.js";
import { keyClient } from "./config.js";
import { EXIT, usageError } from "./exit.js";
import { printHelp, printJson, table, usd, wantsJson } from "./io.js";

const STATUSES = EXECUTION_STATUSES;

/** A command that takes exactly one execution id. */
function oneId(command: string, positionals: string[]): string {
  const [id, ...extra] = positionals;
  if (!id || extra.length) throw usageError(`${command} takes one execution id\nSee: runledger ${command} --help`);
  return id;
}

const getHelp = `Usage: runledger get ID

Prints the execution as JSON: status, result (stdout, stderr, error), duration, sandbox time and cost.`;

export const getCommand: Command = {
  name: "get",
  summary: "show one execution as JSON",
  help: getHelp,
  async run(argv) {
    const { values, positionals } = parse("get", argv, {});
    if (values.help) return printHelp(getHelp);
    printJson(await keyClient().getExecution(oneId("get", positionals)));
    return EXIT.ok;
  },
};

const listHelp = `Usage: runledger list [--status S] [--tag TAG] [--limit N] [--cursor C] [--json]

Prints a page of this key's executions, newest first: a table on a terminal, the server's JSON
({data, next_cursor}) with --json or when the output is piped or redirected.

Options:
      --status S   only executions in status S (queued, running, succeeded, failed, timed_out, canceled, error)
      --tag TAG    only executions with this tag
      --limit N    1 to 100 (default 20)
      --cursor C   the next_cursor of an earlier page
      --json       JSON even on a terminal`;

export const listCommand: Command = {
  name: "list",
  summary: "list this key's executions, newest first",
  help: listHelp,
  async run(argv) {
    const { values, positionals } = parse("list", argv, {
      status: { type: "string" },
      tag: { type: "string" },
      limit: { type: "string" },
      cursor: { type: "string" },
      json: { type: "boolean" },
    });
    if (values.help) return printHelp(listHelp);
    if (positionals.length) throw usageError("list takes no arguments\nSee: runledger list --help");
    const status = oneOf(values.status, STATUSES, "--status");
    const page = await keyClient().listExecutions({
      status,
      tag: values.tag,
      limit: integer(values.limit, "--limit"),
      cursor: values.cursor,
    });
    if (wantsJson(values.json)) return printJson(page);
    if (page.data.length === 0) console.log("no executions");
    else {
      console.log(
        table(
          [
            ["id", "status", "language", "created", "duration", "cost", "tags"],
            ...page.data.map((e) => [
              e.id,
              e.status,
              e.language,
              e.created_at,
              e.duration_ms === null ? "-" : `${e.duration_ms} ms`,
              usd(e.cost_usd),
              e.tags.join(","),
            ]),
          ],
          "lllrrrl",
        ),
      );
    }
    if (page.next_cursor) console.log(`more: runledger list --cursor ${page.next_cursor}`);
    return EXIT.ok;
  },
};

const eventsHelp = `Usage: runledger events [--limit N] [--cursor C] [--json]

Lists this key's events, newest first: execution webhooks and budget alerts
(budget.threshold_reached, budget.hourly_limit_reached), with how their delivery went.

Options:
      --limit N    1 to 100 (default 20)
      --cursor C   the next_cursor of an earlier page
      --json       the server's JSON ({data, next_cursor}) instead of a table`;

export const eventsCommand: Command = {
  name: "events",
  summary: "this key's events (webhooks, budget alerts) and their delivery",
  help: eventsHelp,
  async run(argv) {
    const { values, positionals } = parse("events", argv, {
      limit: { type: "string" },
      cursor: { type: "string" },
      json: { type: "boolean" },
    });
    if (values.help) return printHelp(eventsHelp);
    if (positionals.length) throw usageError("events takes no arguments\nSee: runledger events --help");
    const page = await keyClient().listEvents({ limit: integer(values.limit, "--limit"), cursor: values.cursor });
    if (values.json) return printJson(page);
    const about = (data: Record<string, unknown>) =>
      data.execution_id
        ? String(data.execution_id)
        : data.threshold_pct !== undefined
          ? `${data.threshold_pct}% of $${data.limit_usd}`
          : `$${data.limit_usd} an hour`;
    console.log(
      table([
        ["created", "type", "about", "delivery", "attempts", "id"],
        ...page.data.map((e) => [e.created_at, e.type, about(e.data), e.delivery.status, String(e.delivery.attempts), e.id]),
      ]),
    );
    if (page.next_cursor) console.log(`more: runledger events --cursor ${page.next_cursor}`);
    return EXIT.ok;
  },
};

const cancelHelp = `Usage: runledger cancel ID

Cancels a queued or running execution (its sandbox is killed) and prints it as JSON.
A finished one is the server's execution_finished error.`;

export const cancelCommand: Command = {
  name: "cancel",
  summary: "cancel a queued or running execution",
  help: cancelHelp,
  async run(argv) {
    const { values, positionals } = parse("cancel", argv, {});
    if (values.help) return printHelp(cancelHelp);
    printJson(await keyClient().cancelExecution(oneId("cancel", positionals)));
    return EXIT.ok;
  },
};
