import type { z } from "@hono/zod-openapi";
import type { KeyGrouping } from "../db/schema/enums.js";
import type { Execution, zExecutionCreate, zExecutionList } from "../functions/schemas/execution.js";
import type { zKeyCreate, zKeyPatch, zKeyWithSecrets, zRotated } from "../functions/schemas/key.js";

// Wire types, taken from the zod schemas that validate requests and shape answers.
export type { ErrorCode } from "../functions/errors.js";
export type { Event } from "../functions/schemas/event.js";
export type { Execution } from "../functions/schemas/execution.js";
export type { Key } from "../functions/schemas/key.js";
export type { Budget, CostReport } from "../functions/schemas/money-reports.js";

/** The body of `POST /v1/executions` as a caller writes it: fields with a default may be left out. */
export type ExecutionCreateInput = z.input<typeof zExecutionCreate>;
export type ExecutionList = z.infer<typeof zExecutionList>;
export type Language = Execution["language"];
export {
  ADMIN_GROUPINGS,
  type AdminGrouping,
  EXECUTION_STATUSES,
  type ExecutionStatus,
  FINAL_STATUSES,
  type FinalStatus,
  isFinalStatus,
  KEY_GROUPINGS,
  type KeyGrouping,
  LANGUAGES,
} from "../db/schema/enums.js";

/** `POST /admin/keys` as a caller writes it (money as a decimal string or a number). */
export type KeyCreateInput = z.input<typeof zKeyCreate>;
/** `PATCH /admin/keys/{id}`. */
export type KeyPatchInput = z.input<typeof zKeyPatch>;
export type KeyWithSecrets = z.infer<typeof zKeyWithSecrets>;
export type RotatedSecret = z.infer<typeof zRotated>;

/** One event of a run's live stream (`GET /v1/executions/{id}/events`). */
export type LiveEvent =
  | { id: number; event: "status"; data: { status: ExecutionStatusName } }
  | { id: number; event: "stdout" | "stderr"; data: { text: string } }
  | { id: number; event: "result"; data: Record<string, unknown> }
  | { id: number; event: "end"; data: Execution };

type ExecutionStatusName = Execution["status"];

/** One attempt to deliver an execution's webhook (`GET /v1/executions/{id}/deliveries`). */
export interface Delivery {
  attempt: number;
  at: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

/** A signed link to a key's cost dashboard (`POST /v1/dashboard-link`, `POST /admin/keys/{id}/dashboard-link`). */
export interface DashboardLink {
  url: string;
  expires_at: string;
}

export interface CostsQuery<G extends string = KeyGrouping> {
  /** First UTC day, `YYYY-MM-DD`, inclusive. */
  from?: string;
  /** Last UTC day, `YYYY-MM-DD`, inclusive. */
  to?: string;
  groupBy?: G;
  /** Only executions with this tag. */
  tag?: string;
}
