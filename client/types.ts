import type {
  ADMIN_GROUPINGS,
  ErrorBody,
  EXECUTION_STATUSES,
  Execution,
  ExecutionCreate,
  ExecutionList as ExecutionListBody,
  KEY_GROUPINGS,
  KeyCreate,
  KeyPatch,
  KeyWithSecrets as KeyWithSecretsBody,
  RotatedSecret as RotatedSecretBody,
} from "./api-types.js";

// Wire types, generated from the OpenAPI document (client/api-types.ts), itself generated from the zod
// schemas that validate requests and shape answers.
export type { Budget, CostReport, DashboardLink, Delivery, Event, Execution, Key } from "./api-types.js";
export { ADMIN_GROUPINGS, EXECUTION_STATUSES, KEY_GROUPINGS, LANGUAGES } from "./api-types.js";

export type ErrorCode = ErrorBody["error"]["code"];
/** The body of `POST /v1/executions` as a caller writes it: fields with a default may be left out. */
export type ExecutionCreateInput = ExecutionCreate;
export type ExecutionList = ExecutionListBody;
export type Language = Execution["language"];
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
export type FinalStatus = Exclude<ExecutionStatus, "queued" | "running">;
export type KeyGrouping = (typeof KEY_GROUPINGS)[number];
export type AdminGrouping = (typeof ADMIN_GROUPINGS)[number];
export const FINAL_STATUSES: readonly FinalStatus[] = ["succeeded", "failed", "timed_out", "canceled", "error"];

export function isFinalStatus(status: string): status is FinalStatus {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

/** `POST /admin/keys` as a caller writes it (money as a decimal string or a number). */
export type KeyCreateInput = KeyCreate;
/** `PATCH /admin/keys/{id}`. */
export type KeyPatchInput = KeyPatch;
export type KeyWithSecrets = KeyWithSecretsBody;
export type RotatedSecret = RotatedSecretBody;

/** One event of a run's live stream (`GET /v1/executions/{id}/events`). */
export type LiveEvent =
  | { id: number; event: "status"; data: { status: ExecutionStatus } }
  | { id: number; event: "stdout" | "stderr"; data: { text: string } }
  | { id: number; event: "result"; data: Record<string, unknown> }
  | { id: number; event: "end"; data: Execution };

export interface CostsQuery<G extends string = KeyGrouping> {
  /** First UTC day, `YYYY-MM-DD`, inclusive. */
  from?: string;
  /** Last UTC day, `YYYY-MM-DD`, inclusive. */
  to?: string;
  groupBy?: G;
  /** Only executions with this tag. */
  tag?: string;
}
