import { integer, parse } from "./args.js";
import type { Command } from "./command.js";
import { adminClient, keyClient } from "./config.js";
import { EXIT, usageError } from "./exit.js";
import { printHelp, printJson } from "./io.js";

const help = `Usage: runledger dashboard [--expires-in SECONDS] [--key KEY_ID] [--json]

Prints a signed link to this key's cost dashboard (daily costs, budget, latest executions), and on
standard error when it stops working. Anyone holding the link sees the key's costs until then:
share it like a password.

Options:
      --expires-in S   how long the link works, 60 to 86400 seconds (default 900)
      --key KEY_ID     admin: a link to any key's dashboard, with RUNLEDGER_ADMIN_TOKEN
      --json           print {url, expires_at}`;

export const dashboardCommand: Command = {
  name: "dashboard",
  summary: "a signed link to the key's cost dashboard",
  help,
  async run(argv) {
    const { values, positionals } = parse("dashboard", argv, {
      "expires-in": { type: "string" },
      key: { type: "string" },
      json: { type: "boolean" },
    });
    if (values.help) return printHelp(help);
    if (positionals.length) throw usageError("dashboard takes no arguments\nSee: runledger dashboard --help");
    const expiresIn = integer(values["expires-in"], "--expires-in");
    if (expiresIn !== undefined && (expiresIn < 60 || expiresIn > 86_400)) throw usageError("--expires-in takes 60 to 86400 seconds");
    const link = values.key ? await adminClient().dashboardLink(values.key, { expiresIn }) : await keyClient().dashboardLink({ expiresIn });
    if (values.json) return printJson(link);
    console.log(link.url);
    process.stderr.write(`runledger: the link works until ${link.expires_at}\n`);
    return EXIT.ok;
  },
};
