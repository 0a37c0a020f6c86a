import type { BudgetPeriod } from "../../db/schema/index.js";

/** The start of the budget period that `now` falls in; `total` starts when the key was created. */
export function periodStart(period: BudgetPeriod, now: Date, keyCreatedAt: Date): Date {
  if (period === "day") return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  if (period === "month") return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  return keyCreatedAt;
}

/** The end of that period (exclusive); null for `total`, which never resets. */
export function periodEnd(period: BudgetPeriod, start: Date): Date | null {
  if (period === "day") return new Date(start.getTime() + 24 * 60 * 60 * 1000);
  if (period === "month") return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
  return null;
}
