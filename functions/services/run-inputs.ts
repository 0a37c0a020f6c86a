import { and, isNull, lt, sql } from "drizzle-orm";
import type { Database } from "../../db/client.js";
import { type ExecutionFile, type ExecutionRow, executions } from "../../db/schema/index.js";
import type { SecretBox } from "./secrets.js";

/** What a caller hands a run besides its code: often credentials, so kept sealed at rest. */
export interface RunInputs {
  env: Record<string, string>;
  files: ExecutionFile[];
}

const boundTo = (executionId: string) => `${executionId}/inputs`;

/** `env` and `files` as one AES-GCM ciphertext, bound to the execution it belongs to. */
export function sealInputs(box: SecretBox, executionId: string, inputs: RunInputs): Promise<string> {
  return box.seal(JSON.stringify(inputs), boundTo(executionId));
}

/** A row's inputs: opened from the ciphertext, or read as they were stored before inputs were sealed. */
export async function openInputs(box: SecretBox, row: ExecutionRow): Promise<RunInputs> {
  if (!row.inputsCiphertext) return { env: row.env, files: row.files };
  return JSON.parse(await box.open(row.inputsCiphertext, boundTo(row.id))) as RunInputs;
}

/**
 * Erases the code and inputs of executions that finished more than `retentionMs` ago, a bounded
 * batch at a time; every figure of the ledger stays. Returns how many were erased.
 */
export async function purgeExpiredInputs(db: Database, now: Date, retentionMs: number, batch = 1000): Promise<number> {
  const due = db
    .select({ id: executions.id })
    .from(executions)
    .where(and(isNull(executions.inputsPurgedAt), lt(executions.finishedAt, new Date(now.getTime() - retentionMs))))
    .limit(batch);
  const purged = await db
    .update(executions)
    .set({ code: "", env: {}, files: [], inputsCiphertext: null, inputsPurgedAt: now })
    .where(sql`${executions.id} in ${due}`)
    .returning({ id: executions.id });
  return purged.length;
}
