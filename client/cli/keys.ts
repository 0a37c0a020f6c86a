import type { KeyCreateInput, KeyPatchInput } from "../types.js";
import { integer, oneOf, parse } from "./args.js";
import type { Command } from "./command.js";
import { adminClient } from "./config.js";
import { EXIT, usageError } from "./exit.js";
import { printHelp, printJson, table, usd, wantsJson } from "./io.js";

const PERIODS = ["day", "month", "total"] as const;

const help = `Usage: runledger keys create --name NAME --budget USD --period day|month|total [limits]
       runledger keys list [--json]
       runledger keys get ID
       runledger keys update ID [--name NAME] [--budget USD] [--period P] [limits]
       runledger keys rotate ID
       runledger keys revoke ID

Manages API keys with the deployment's admin token (RUNLEDGER_URL, RUNLEDGER_ADMIN_TOKEN).
Prints JSON; list prints a table on a terminal (JSON with --json, or when piped). create shows the key's secret and webhook secret, and rotate the new secret: only then.

Limits:
      --max-timeout-ms MS     the longest timeout_ms a run may ask for (default 300000)
      --max-concurrency N     runs queued or running at once (default 10)
      --template NAME         a template the key may use (repeatable; default all; update: "all" lifts the list)
      --hourly-limit USD      a second budget window over the current UTC hour (update: "none" removes it)
      --events-url URL        where budget alerts go, signed like webhooks (update: "none" removes it)
      --alert-at P,P,...      percents of the budget at which an alert fires, once each per period (default 80,100)
      --internet-access, --no-internet-access
                              whether the key's runs may reach the internet (default yes)`;

const options = {
  name: { type: "string" },
  budget: { type: "string" },
  period: { type: "string" },
  "max-timeout-ms": { type: "string" },
  "max-concurrency": { type: "string" },
  template: { type: "string", multiple: true },
  "hourly-limit": { type: "string" },
  "events-url": { type: "string" },
  "alert-at": { type: "string" },
  "internet-access": { type: "boolean" },
  "no-internet-access": { type: "boolean" },
  json: { type: "boolean" },
} as const;

export const keysCommand: Command = {
  name: "keys",
  summary: "admin: create, list, get, update, rotate, revoke API keys",
  help,
  async run(argv) {
    const { values, positionals } = parse("keys", argv, options);
    if (values.help) return printHelp(help);
    const [action, id, ...extra] = positionals;
    const needsId = action === "get" || action === "update" || action === "rotate" || action === "revoke";
    if (extra.length || (needsId && !id) || (!needsId && id)) throw usageError(`unexpected arguments\nSee: runledger keys --help`);
    const limits = {
      max_timeout_ms: integer(values["max-timeout-ms"], "--max-timeout-ms"),
      max_concurrency: integer(values["max-concurrency"], "--max-concurrency"),
    };
    const period = oneOf(values.period, PERIODS, "--period");
    const guardrails = guardrailOptions(values);
    const admin = () => adminClient();
    switch (action) {
      case "create": {
        if (!values.name || !values.budget || !period) throw usageError("keys create needs --name, --budget and --period");
        const body: KeyCreateInput = { name: values.name, budget_usd: values.budget, budget_period: period };
        if (limits.max_timeout_ms !== undefined) body.max_timeout_ms = limits.max_timeout_ms;
        if (limits.max_concurrency !== undefined) body.max_concurrency = limits.max_concurrency;
        if (values.template?.includes("all")) throw usageError("keys create: leave out --template to allow every template");
        if (values.template) body.templates = values.template;
        if (guardrails.hourly_limit_usd === null || guardrails.events_url === null)
          throw usageError("keys create: leave the option out instead of 'none'");
        printJson(await admin().createKey({ ...body, ...guardrails } as KeyCreateInput));
        return EXIT.ok;
      }
      case "update": {
        const patch: KeyPatchInput = {};
        if (values.name) patch.name = values.name;
        if (values.budget) patch.budget_usd = values.budget;
        if (period) patch.budget_period = period;
        if (limits.max_timeout_ms !== undefined) patch.max_timeout_ms = limits.max_timeout_ms;
        if (limits.max_concurrency !== undefined) patch.max_concurrency = limits.max_concurrency;
        if (values.template) patch.templates = values.template.includes("all") ? "all" : values.template;
        printJson(await admin().updateKey(id as string, { ...patch, ...guardrails }));
        return EXIT.ok;
      }
      case "list": {
        const keys = await admin().listKeys();
        if (wantsJson(values.json)) return printJson(keys);
        if (keys.length === 0) console.log("no keys");
        else {
          const rows = keys.map((k) => [
            k.id,
            k.name,
            `${usd(k.budget_usd)}/${k.budget_period}`,
            k.hourly_limit_usd ? `${usd(k.hourly_limit_usd)}/hour` : "-",
            String(k.max_concurrency),
            k.created_at,
            k.revoked_at ? `revoked ${k.revoked_at}` : "active",
          ]);
          console.log(table([["id", "name", "budget", "hourly", "concurrency", "created", "state"], ...rows], "llrrrll"));
        }
        return EXIT.ok;
      }
      case "get":
        printJson(await admin().getKey(id as string));
        return EXIT.ok;
      case "rotate":
        printJson(await admin().rotateKey(id as string));
        return EXIT.ok;
      case "revoke":
        printJson(await admin().revokeKey(id as string));
        return EXIT.ok;
      default:
        throw usageError(`${action ? `unknown keys command '${action}'` : "keys needs a command"}\nSee: runledger keys --help`);
    }
  },
};

/** The money guardrails and the internet switch, as the admin API takes them; "none" is null (removed). */
function guardrailOptions(values: {
  "hourly-limit"?: string;
  "events-url"?: string;
  "alert-at"?: string;
  "internet-access"?: boolean;
  "no-internet-access"?: boolean;
}): KeyPatchInput {
  const settings: KeyPatchInput = {};
  const orNone = (value: string) => (value === "none" ? null : value);
  if (values["hourly-limit"] !== undefined) settings.hourly_limit_usd = orNone(values["hourly-limit"]);
  if (values["events-url"] !== undefined) settings.events_url = orNone(values["events-url"]);
  if (values["alert-at"] !== undefined) {
    const percents = values["alert-at"].split(",").map((p) => p.trim());
    if (!percents.every((p) => /^\d+$/.test(p)))
      throw usageError(`--alert-at takes whole percents separated by commas, not '${values["alert-at"]}'`);
    settings.alert_thresholds = percents.map(Number);
  }
  if (values["internet-access"] && values["no-internet-access"])
    throw usageError("--internet-access and --no-internet-access contradict each other");
  if (values["internet-access"]) settings.internet_access = true;
  if (values["no-internet-access"]) settings.internet_access = false;
  return settings;
}
