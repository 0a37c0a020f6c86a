import type { ExecutionFile, ExecutionRow } from "../../db/schema/index.js";
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
