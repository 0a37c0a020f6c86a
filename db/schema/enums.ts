// Names shared by the schema, the Worker and the command-line client. No imports: anything may use them.

export const LANGUAGES = ["python", "javascript", "typescript", "bash", "r", "java"] as const;
export type Language = (typeof LANGUAGES)[number];

export const EXECUTION_STATUSES = ["queued", "running", "succeeded", "failed", "timed_out", "canceled", "error"] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
export type FinalStatus = Exclude<ExecutionStatus, "queued" | "running">;
export const FINAL_STATUSES: readonly FinalStatus[] = ["succeeded", "failed", "timed_out", "canceled", "error"];

export function isFinalStatus(status: string): status is FinalStatus {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

export const BUDGET_PERIODS = ["day", "month", "total"] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

/** How `/v1/costs` groups, and how `/admin/costs` does. */
export const KEY_GROUPINGS = ["day", "template", "language", "status", "tag"] as const;
export const ADMIN_GROUPINGS = ["key", "day", "template", "tag"] as const;
export type KeyGrouping = (typeof KEY_GROUPINGS)[number];
export type AdminGrouping = (typeof ADMIN_GROUPINGS)[number];

/** Where an event (an execution's final webhook, an account alert) stands with its destination. */
export const DELIVERY_STATUSES = ["pending", "delivered", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
