import type { Database } from "../../db/client.js";
import type { KeyRow } from "../../db/schema/index.js";
import { ApiError } from "../errors.js";
import { latestExecutions } from "../ledger/index.js";
import { microsToUsd } from "../money.js";
import type { Execution } from "../schemas/execution.js";
import { type Budget, type CostReport, zDay } from "../schemas/money-reports.js";
import { budgetOf, costReport } from "./reports.js";

export const DEFAULT_RANGE_DAYS = 30;
export const MAX_RANGE_DAYS = 366;
export const LATEST_EXECUTIONS = 20;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface DayCost {
  day: string;
  executions: number;
  cost_usd: string;
}

/** Everything the dashboard shows for one key, from the same services as `/v1/costs` and `/v1/budget`. */
/** One line of the latest executions: no code, no output. */
export type LatestExecution = Pick<Execution, "id" | "created_at" | "template" | "status" | "duration_ms" | "cost_usd"> & {
  language: string;
};

export interface DashboardData {
  key: { id: string; name: string; revoked: boolean };
  from: string;
  to: string;
  /** Every UTC day of the range, oldest first; days without settled executions cost 0. */
  days: DayCost[];
  totals: Pick<CostReport, "total_usd" | "executions" | "sandbox_seconds">;
  byTemplate: CostReport["rows"];
  byStatus: CostReport["rows"];
  /** An execution under each of its tags; untagged ones under "". */
  byTag: CostReport["rows"];
  budget: Budget;
  latest: LatestExecution[];
}

const dayOf = (d: Date) => d.toISOString().slice(0, 10);

/** The chosen range: both ends optional (default the last 30 days to today), `to` inclusive, at most 366 days. */
export function dashboardRange(query: { from?: string; to?: string }, now: Date): { from: string; to: string } {
  const problems: Array<{ field: string; message: string }> = [];
  for (const field of ["from", "to"] as const) {
    const value = query[field];
    if (value !== undefined && value !== "" && !zDay.safeParse(value).success)
      problems.push({ field, message: "must be a date as YYYY-MM-DD" });
  }
  if (problems.length) throw new ApiError("invalid_request", "the range is not valid", problems);
  const to = query.to || dayOf(now);
  const from = query.from || dayOf(new Date(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_RANGE_DAYS - 1) * DAY_MS));
  if (from > to) throw new ApiError("invalid_request", "the range is not valid", [{ field: "from", message: "must not be after to" }]);
  if (daysBetween(from, to).length > MAX_RANGE_DAYS) {
    throw new ApiError("invalid_request", "the range is not valid", [
      { field: "from", message: `the range may span at most ${MAX_RANGE_DAYS} days` },
    ]);
  }
  return { from, to };
}

/** Every UTC day from `from` to `to`, inclusive. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`) && out.length <= MAX_RANGE_DAYS; t += DAY_MS) {
    out.push(dayOf(new Date(t)));
  }
  return out;
}

export async function loadDashboard(db: Database, key: KeyRow, range: { from: string; to: string }, now: Date): Promise<DashboardData> {
  const [byDay, byTemplate, byStatus, byTag, budget, latest] = await Promise.all([
    costReport(db, key.id, { ...range, group_by: "day" }, now),
    costReport(db, key.id, { ...range, group_by: "template" }, now),
    costReport(db, key.id, { ...range, group_by: "status" }, now),
    costReport(db, key.id, { ...range, group_by: "tag" }, now),
    budgetOf(db, key, now),
    latestExecutions({ db }, key.id, LATEST_EXECUTIONS),
  ]);
  const rowOf = new Map(byDay.rows.map((row) => [row.group, row]));
  return {
    key: { id: key.id, name: key.name, revoked: key.revokedAt !== null },
    ...range,
    days: daysBetween(range.from, range.to).map((day) => ({
      day,
      executions: rowOf.get(day)?.executions ?? 0,
      cost_usd: rowOf.get(day)?.cost_usd ?? "0.000000",
    })),
    totals: { total_usd: byDay.total_usd, executions: byDay.executions, sandbox_seconds: byDay.sandbox_seconds },
    byTemplate: byTemplate.rows,
    byStatus: byStatus.rows,
    byTag: byTag.rows.map((row) => (row.group === "" ? { ...row, group: "(untagged)" } : row)),
    budget,
    latest: latest.map((e) => ({
      id: e.id,
      created_at: e.createdAt.toISOString(),
      language: e.language,
      template: e.template,
      status: e.status,
      duration_ms: e.durationMs,
      cost_usd: e.costMicros === null ? null : microsToUsd(e.costMicros),
    })),
  };
}
