import { verifyWebhook } from "../webhooks.js";
import { integer, parse } from "./args.js";
import type { Command } from "./command.js";
import { webhookSecret } from "./config.js";
import { EXIT, usageError } from "./exit.js";
import { printHelp, readLocal } from "./io.js";

const help = `Usage: runledger verify-webhook --headers FILE --body FILE [--secret whsec_...]
       runledger verify-webhook DELIVERY.json [--secret whsec_...]

Checks a saved webhook delivery as Standard Webhooks says: one v1 signature in webhook-signature must be
the HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}" under the key's webhook secret, and
webhook-timestamp must be within 5 minutes of now. Prints "ok" and the webhook id, or exits 1 with the reason.

Options:
      --secret S       the key's webhook secret (default: RUNLEDGER_WEBHOOK_SECRET, or the local dev key's)
      --headers FILE   the request headers: a JSON object, or "Name: value" lines (as curl -D saves them)
      --body FILE      the raw request body, byte for byte
      --tolerance S    seconds the timestamp may be off (default 300)

DELIVERY.json holds both: {"headers": {...}, "body": "<the raw body as a string>"}.`;

/** Headers from a JSON object or from `Name: value` lines. */
export function parseHeaders(text: string): Record<string, string> {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    const parsed = JSON.parse(trimmed) as Record<string, unknown>;
    return Object.fromEntries(
      Object.entries(parsed).map(([name, value]) => [name, Array.isArray(value) ? value.join(" ") : String(value)]),
    );
  }
  const headers: Record<string, string> = {};
  for (const line of trimmed.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** The headers and raw body of the delivery, from the flags or one JSON file. */
function delivery(positionals: string[], headersFile?: string, bodyFile?: string): { headers: Record<string, string>; body: string } {
  if (positionals.length > 1) throw usageError("verify-webhook takes at most one DELIVERY.json\nSee: runledger verify-webhook --help");
  const [file] = positionals;
  if (file) {
    if (headersFile || bodyFile) throw usageError("give either DELIVERY.json or --headers and --body, not both");
    let saved: { headers?: unknown; body?: unknown };
    try {
      saved = JSON.parse(readLocal(file).toString("utf8"));
    } catch (error) {
      throw usageError(`${file} is not JSON: ${(error as Error).message}`);
    }
    if (typeof saved.headers !== "object" || saved.headers === null || typeof saved.body !== "string") {
      throw usageError(`${file} must be {"headers": {...}, "body": "<the raw body as a string>"}`);
    }
    return { headers: parseHeaders(JSON.stringify(saved.headers)), body: saved.body };
  }
  if (!headersFile || !bodyFile)
    throw usageError("give --headers FILE and --body FILE, or one DELIVERY.json\nSee: runledger verify-webhook --help");
  let headers: Record<string, string>;
  try {
    headers = parseHeaders(readLocal(headersFile).toString("utf8"));
  } catch (error) {
    throw usageError(`${headersFile}: ${(error as Error).message}`);
  }
  return { headers, body: readLocal(bodyFile).toString("utf8") };
}

export const verifyWebhookCommand: Command = {
  name: "verify-webhook",
  summary: "check a saved webhook delivery's signature and timestamp",
  help,
  async run(argv) {
    const { values, positionals } = parse("verify-webhook", argv, {
      secret: { type: "string" },
      headers: { type: "string" },
      body: { type: "string" },
      tolerance: { type: "string" },
    });
    if (values.help) return printHelp(help);
    const { headers, body } = delivery(positionals, values.headers, values.body);
    const secret = webhookSecret(values.secret);
    const result = await verifyWebhook(secret, headers, body, { toleranceSeconds: integer(values.tolerance, "--tolerance") });
    if (!result.ok) {
      process.stderr.write(`runledger: webhook not verified: ${result.reason}\n`);
      return EXIT.failed;
    }
    let about = "";
    try {
      const event = JSON.parse(body) as { type?: string; data?: { id?: string; status?: string } };
      about = ` ${event.type ?? ""} ${event.data?.id ?? ""} ${event.data?.status ?? ""}`.trimEnd();
    } catch {
      // a verified body that is not JSON: nothing more to say about it
    }
    console.log(`ok ${result.id}${about}`);
    return EXIT.ok;
  },
};
