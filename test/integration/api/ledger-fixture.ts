import { randomBytes } from "node:crypto";
import type { Database } from "../../../db/client.js";
import type { KeyRow } from "../../../db/schema/index.js";
import type { ExecutionRecord } from "../../../functions/ledger/index.js";
import { submitExecution } from "../../../functions/ledger/index.js";
import type { ExecutionCreate } from "../../../functions/schemas/execution.js";
import type { Clock } from "../../../functions/services/clock.js";
import { createKey, getKey } from "../../../functions/services/keys.js";
import { SecretBox } from "../../../functions/services/secrets.js";

/** For tests that drive the ledger's services directly: a key of their own, with its secrets box. */
export async function seedKey(db: Database, clock: Clock, budgetMicros = 1_000_000n, period: KeyRow["budgetPeriod"] = "day") {
  const secrets = await SecretBox.fromBase64(randomBytes(32).toString("base64"));
  const created = await createKey(
    db,
    secrets,
    {
      name: "fixture",
      budget_usd: budgetMicros,
      budget_period: period,
      max_timeout_ms: 300_000,
      max_concurrency: 100,
      internet_access: true,
      alert_thresholds: [80, 100],
    },
    clock,
  );
  return { secrets, created, key: await getKey(db, created.id) };
}

/** Submits straight through the ledger, priced as code-interpreter-v1 (37 µ$ a second). */
export async function submitDirect(
  db: Database,
  key: KeyRow,
  clock: Clock,
  input: Partial<ExecutionCreate> & { template?: string },
  reserveMicros: bigint,
  secrets?: SecretBox,
): Promise<ExecutionRecord> {
  const full = {
    code: "print(1)",
    language: "python" as const,
    template: "code-interpreter-v1",
    timeout_ms: 1000,
    env: {},
    files: [],
    metadata: {},
    outputs: [],
    tags: [],
    timeout_policy: "exact" as const,
    ...input,
  };
  const box = secrets ?? (await SecretBox.fromBase64(randomBytes(32).toString("base64")));
  const next = {
    input: full,
    ratePicosPerSecond: 37_000_000n,
    reserveMicros,
    idempotency: null,
    fitAllowanceSeconds: null,
    signature: null,
  };
  const submitted = await submitExecution({ db, clock, secrets: box }, key, next);
  if (submitted.kind === "refused") throw submitted.error;
  return submitted.execution;
}
