import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { RunledgerAdminClient } from "../admin.js";
import { RunledgerClient } from "../client.js";
import { configError } from "./exit.js";

/** What `npm start` keeps in `.runledger/local.json`. */
interface LocalState {
  adminToken?: string;
  devKey?: { id: string; secret: string; webhook_secret: string };
}

type Env = Record<string, string | undefined>;

/** The local stack's state, when `npm start` has run in this directory. */
function localState(env: Env): LocalState | null {
  const file = join(resolve(env.RUNLEDGER_DATA_DIR ?? ".runledger"), "local.json");
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as LocalState;
  } catch {
    return null;
  }
}

const localUrl = (env: Env) => `http://127.0.0.1:${env.PORT ?? 8787}`;

/** The service's base URL, refused early unless it is http(s). */
function serviceUrl(url: string): string {
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw configError(`RUNLEDGER_URL must be an http(s) URL, e.g. http://127.0.0.1:8787 (got ${JSON.stringify(url)})`);
  }
  return url;
}

/**
 * `RUNLEDGER_URL`, `RUNLEDGER_KEY`, `RUNLEDGER_SECRET`; when the key is not set, the dev key of a local
 * stack started here with `npm start` (and its URL, unless `RUNLEDGER_URL` says otherwise).
 */
export function keyConfig(env: Env = process.env): { url: string; keyId: string; secret: string; webhookSecret?: string } {
  if (env.RUNLEDGER_KEY || env.RUNLEDGER_SECRET) {
    if (!env.RUNLEDGER_KEY || !env.RUNLEDGER_SECRET) throw configError("set both RUNLEDGER_KEY and RUNLEDGER_SECRET");
    if (!env.RUNLEDGER_URL) throw configError("set RUNLEDGER_URL (e.g. http://127.0.0.1:8787)");
    return {
      url: serviceUrl(env.RUNLEDGER_URL),
      keyId: env.RUNLEDGER_KEY,
      secret: env.RUNLEDGER_SECRET,
      webhookSecret: env.RUNLEDGER_WEBHOOK_SECRET,
    };
  }
  const dev = localState(env)?.devKey;
  if (!dev) {
    throw configError("no key: set RUNLEDGER_URL, RUNLEDGER_KEY and RUNLEDGER_SECRET (or run `npm start` here for a local dev key)");
  }
  return { url: serviceUrl(env.RUNLEDGER_URL || localUrl(env)), keyId: dev.id, secret: dev.secret, webhookSecret: dev.webhook_secret };
}

export function keyClient(env: Env = process.env): RunledgerClient {
  return new RunledgerClient(keyConfig(env));
}

/** `RUNLEDGER_URL` and `RUNLEDGER_ADMIN_TOKEN`, or the local stack's. */
export function adminClient(env: Env = process.env): RunledgerAdminClient {
  const state = env.RUNLEDGER_ADMIN_TOKEN ? null : localState(env);
  const token = env.RUNLEDGER_ADMIN_TOKEN ?? state?.adminToken;
  if (!token) throw configError("no admin token: set RUNLEDGER_URL and RUNLEDGER_ADMIN_TOKEN");
  const url = env.RUNLEDGER_URL || (state ? localUrl(env) : undefined);
  if (!url) throw configError("set RUNLEDGER_URL (e.g. http://127.0.0.1:8787)");
  return new RunledgerAdminClient({ url: serviceUrl(url), token });
}

/** The webhook secret: the flag, `RUNLEDGER_WEBHOOK_SECRET`, or the local dev key's. */
export function webhookSecret(flag: string | undefined, env: Env = process.env): string {
  const secret = flag ?? env.RUNLEDGER_WEBHOOK_SECRET ?? (env.RUNLEDGER_KEY ? undefined : localState(env)?.devKey?.webhook_secret);
  if (!secret) throw configError("no webhook secret: pass --secret whsec_... or set RUNLEDGER_WEBHOOK_SECRET");
  return secret;
}
