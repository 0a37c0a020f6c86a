import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { zEnv } from "../functions/env.js";
import { describePythonEnv } from "./sandbox-host/python-env.js";
import { stopOnSignal } from "./shutdown.js";
import { newSecretEncryptionKey, startStack } from "./stack.js";

// `npm start`: the whole system on loopback, with a dev key and a request ready to paste.
const dataDir = resolve(process.env.RUNLEDGER_DATA_DIR ?? ".runledger");
const stateFile = join(dataDir, "local.json");

interface LocalState {
  adminToken: string;
  secretEncryptionKey: string;
  devKey?: { id: string; secret: string; webhook_secret: string };
}

function loadState(): LocalState {
  if (existsSync(stateFile)) return JSON.parse(readFileSync(stateFile, "utf8")) as LocalState;
  return { adminToken: `adm_${randomBytes(24).toString("base64url")}`, secretEncryptionKey: newSecretEncryptionKey() };
}

/** The Worker's optional settings (see functions/env.ts) found in this environment pass through to it. */
function workerSettingsFromEnvironment(): Record<string, string> {
  const ownedByTheStack = new Set([
    "DATABASE_URL",
    "NEON_WS_PROXY",
    "ADMIN_TOKEN",
    "SECRET_ENCRYPTION_KEY",
    "E2B_API_KEY",
    "E2B_API_URL",
    "E2B_SANDBOX_URL",
  ]);
  return Object.fromEntries(
    Object.keys(zEnv.shape)
      .filter((name) => !ownedByTheStack.has(name) && process.env[name] !== undefined)
      .map((name) => [name, process.env[name] as string]),
  );
}

function positive(value: string | undefined): number | undefined {
  return value && Number.isInteger(Number(value)) && Number(value) > 0 ? Number(value) : undefined;
}

async function main(): Promise<void> {
  const state = loadState();
  const adminToken = process.env.ADMIN_TOKEN ?? state.adminToken;
  const port = Number(process.env.PORT ?? 8787);
  console.log("starting runledger: Postgres, sandbox host, Worker ...");
  const stack = await startStack({
    dataDir,
    port,
    adminToken,
    secretEncryptionKey: process.env.SECRET_ENCRYPTION_KEY ?? state.secretEncryptionKey,
    databaseUrl: process.env.DATABASE_URL || undefined,
    e2bApiKey: process.env.E2B_API_KEY || undefined,
    e2bApiUrl: process.env.E2B_API_URL || undefined,
    workerVars: workerSettingsFromEnvironment(),
    sandboxHostLimits: {
      maxSandboxes: positive(process.env.SANDBOX_HOST_MAX_SANDBOXES),
      maxCreatesPerSecond: positive(process.env.SANDBOX_HOST_MAX_CREATES_PER_SECOND),
    },
  });

  // Which kernel runs Python in local sandboxes, and what of E2B's template packages is missing.
  if (stack.sandboxHost) for (const line of describePythonEnv(stack.sandboxHost.isolation.pythonEnv)) console.log(line);

  const admin = { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
  const known = state.devKey ? await fetch(`${stack.url}/admin/keys/${state.devKey.id}`, { headers: admin }) : null;
  if (!known?.ok) {
    const res = await fetch(`${stack.url}/admin/keys`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ name: "dev", budget_usd: "10.00", budget_period: "day" }),
    });
    if (!res.ok) throw new Error(`could not create the dev key: ${res.status} ${await res.text()}`);
    state.devKey = (await res.json()) as LocalState["devKey"];
  }
  writeFileSync(stateFile, `${JSON.stringify({ ...state, adminToken }, null, 2)}\n`, { mode: 0o600 });
  const key = state.devKey as NonNullable<LocalState["devKey"]>;

  console.log(`
runledger is running on ${stack.url}   (data in ${dataDir}; Ctrl-C stops everything)
  database:     ${stack.postgres ? "embedded Postgres" : "DATABASE_URL"}${stack.pooled ? ", pooled by PgBouncer" : stack.wsProxy ? " (without PgBouncer: a new Postgres backend per connection)" : ""}
  sandboxes:    ${stack.sandboxHost ? `local E2B-compatible host at ${stack.sandboxHost.url}` : "E2B"}
  ADMIN_TOKEN=${adminToken}
  dev key:      ${key.id}
  secret:       ${key.secret}
  webhook secret: ${key.webhook_secret}

Paste this into a shell to run code (it waits up to 30 s for the result):

export RUNLEDGER_URL=${stack.url} RUNLEDGER_KEY=${key.id} RUNLEDGER_SECRET=${key.secret}
ts=$(date +%s); path='/v1/executions?wait=30'; body='{"language":"python","code":"print(6*7)"}'
h=$(printf '%s' "$body" | sha256sum | cut -d' ' -f1)
sig=$(printf '%s\\n%s\\n%s\\n%s' "$ts" POST "$path" "$h" | openssl dgst -sha256 -hmac "$RUNLEDGER_SECRET" -r | cut -d' ' -f1)
curl -sS "$RUNLEDGER_URL$path" -H 'content-type: application/json' -H "x-runledger-key: $RUNLEDGER_KEY" -H "x-runledger-timestamp: $ts" -H "x-runledger-signature: v1=$sig" --data "$body"
`);

  stopOnSignal("\nstopping ...", () => stack.stop());
}

main().catch((error: Error) => {
  console.error(`runledger could not start: ${error.message}`);
  process.exit(1);
});
