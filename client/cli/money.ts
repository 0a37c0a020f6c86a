import { ADMIN_GROUPINGS, type AdminGrouping, type CostReport, type CostsQuery, KEY_GROUPINGS, type KeyGrouping } from "../types.js";
import { oneOf, parse } from "./args.js";
import type { Command } from "./command.js";
import { adminClient, keyClient } from "./config.js";
import { EXIT, usageError } from "./exit.js";
import { printHelp, printJson, table } from "./io.js";

const budgetHelp = `Usage: runledger budget [--json]

Shows this key's budget for the current period: limit, spent, reserved (for runs still going) and remaining.

Options:
      --json   print the server's JSON instead`;

export const budgetCommand: Command = {
  name: "budget",
  summary: "this key's budget: limit, spent, reserved, remaining",
  help: budgetHelp,
  async run(argv) {
    const { values, positionals } = parse("budget", argv, { json: { type: "boolean" } });
    if (values.help) return printHelp(budgetHelp);
    if (positionals.length) throw usageError("budget takes no arguments\nSee: runledger budget --help");
    const budget = await keyClient().getBudget();
    if (values.json) return printJson(budget);
    const period = budget.period_end ? `${budget.period_start} to ${budget.period_end}` : `since ${budget.period_start}`;
    const lines: [string, string][] = [
      ["period", `${budget.period} (${period})`],
      ["limit", `$${budget.limit_usd}`],
      ["spent", `$${budget.spent_usd}`],
      ["reserved", `$${budget.reserved_usd}`],
      ["remaining", `$${budget.remaining_usd}`],
    ];
    if (budget.hour) {
      lines.push(
        ["hour", `from ${budget.hour.period_start}: limit $${budget.hour.limit_usd}, spent $${budget.hour.spent_usd}`],
        ["", `reserved $${budget.hour.reserved_usd}, remaining $${budget.hour.remaining_usd}`],
      );
    }
    console.log(lines.map(([name, value]) => `${name.padEnd(10)} ${value}`).join("\n"));
    return EXIT.ok;
  },
};

const GROUPINGS = KEY_GROUPINGS;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

const costsHelp = `Usage: runledger costs [--group-by day|template|language|status|tag] [--tag TAG] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--csv|--json]
       runledger costs --all-keys [--group-by key|day|template|tag] [...]

What this key spent on finished executions, by the UTC day they were created (default: this month, by day).

Options:
      --group-by G   day (default), template, language, status or tag (an execution counts under
                     each of its tags, an untagged one under ""; the total counts it once)
      --tag TAG      only executions with this tag
      --all-keys     admin: every key's spending (RUNLEDGER_ADMIN_TOKEN); group by key, day, template or tag
      --from DAY     first UTC day, inclusive
      --to DAY       last UTC day, inclusive
      --csv          the rows as CSV, with a header line
      --json         the server's JSON report`;

export const costsCommand: Command = {
  name: "costs",
  summary: "what this key spent, grouped by day, template, language, status or tag",
  help: costsHelp,
  async run(argv) {
    const { values, positionals } = parse("costs", argv, {
      "group-by": { type: "string" },
      tag: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      csv: { type: "boolean" },
      json: { type: "boolean" },
      "all-keys": { type: "boolean" },
    });
    if (values.help) return printHelp(costsHelp);
    if (positionals.length) throw usageError("costs takes no arguments\nSee: runledger costs --help");
    if (values.csv && values.json) throw usageError("--csv and --json do not go together");
    for (const flag of ["from", "to"] as const) {
      const day = values[flag];
      if (day !== undefined && !DAY.test(day)) throw usageError(`--${flag} takes a day as YYYY-MM-DD, not '${day}'`);
    }
    const range = { from: values.from, to: values.to, tag: values.tag };
    let source: { getCosts(): Promise<CostReport>; getCostsCsv(): Promise<string> };
    if (values["all-keys"]) {
      const query: CostsQuery<AdminGrouping> = { ...range, groupBy: oneOf(values["group-by"], ADMIN_GROUPINGS, "--group-by") };
      const admin = adminClient();
      source = { getCosts: () => admin.getCosts(query), getCostsCsv: () => admin.getCostsCsv(query) };
    } else {
      const query: CostsQuery<KeyGrouping> = { ...range, groupBy: oneOf(values["group-by"], GROUPINGS, "--group-by") };
      const client = keyClient();
      source = { getCosts: () => client.getCosts(query), getCostsCsv: () => client.getCostsCsv(query) };
    }
    if (values.csv) {
      const csv = await source.getCostsCsv();
      process.stdout.write(csv.endsWith("\n") || !csv ? csv : `${csv}\n`);
      return EXIT.ok;
    }
    const report = await source.getCosts();
    if (values.json) return printJson(report);
    const rows = report.rows.map((r) => [r.group, String(r.executions), (r.sandbox_ms / 1000).toFixed(1), `$${r.cost_usd}`]);
    console.log(`${report.from} to ${report.to}, by ${report.group_by}`);
    console.log(
      table([
        [report.group_by, "executions", "sandbox s", "cost"],
        ...rows,
        ["total", String(report.executions), report.sandbox_seconds.toFixed(1), `$${report.total_usd}`],
      ]),
    );
    return EXIT.ok;
  },
};
