import { and, eq, gte, lte, sql } from "drizzle-orm";
import type { Database } from "../../db/client.js";
import { budgetUsage, costRollups, type KeyRow } from "../../db/schema/index.js";
import { ApiError } from "../errors.js";
import { microsToUsd } from "../money.js";
import type { Budget, CostReport } from "../schemas/money-reports.js";
import { periodEnd, periodStart } from "./budget-period.js";

/** Where a key stands in its current budget period; a period nobody spent in yet is all remaining. */
export async function budgetOf(db: Database, key: KeyRow, now: Date): Promise<Budget> {
  const start = periodStart(key.budgetPeriod, now, key.createdAt);
  const [usage] = await db
    .select()
    .from(budgetUsage)
    .where(and(eq(budgetUsage.keyId, key.id), eq(budgetUsage.periodStart, start)));
  const spent = usage?.spentMicros ?? 0n;
  const reserved = usage?.reservedMicros ?? 0n;
  const remaining = key.budgetMicros - spent - reserved;
  const end = periodEnd(key.budgetPeriod, start);
  return {
    period: key.budgetPeriod,
    period_start: start.toISOString(),
    period_end: end ? end.toISOString() : null,
    limit_usd: microsToUsd(key.budgetMicros),
    spent_usd: microsToUsd(spent),
    reserved_usd: microsToUsd(reserved),
    remaining_usd: microsToUsd(remaining > 0n ? remaining : 0n),
  };
}

export type Grouping = "day" | "template" | "language" | "status" | "key";

const GROUP_COLUMNS = {
  day: sql<string>`${costRollups.day}::text`,
  template: sql<string>`${costRollups.template}`,
  language: sql<string>`${costRollups.language}`,
  status: sql<string>`${costRollups.status}`,
  key: sql<string>`${costRollups.keyId}`,
} as const;

/**
 * Settled executions created between `from` and `to` (UTC days, inclusive), grouped, from the
 * rollup the settlements maintain. `keyId` null reports over every key.
 */
export async function costReport(
  db: Database,
  keyId: string | null,
  query: { from?: string; to?: string; group_by?: Grouping },
  now: Date,
): Promise<CostReport> {
  const from = query.from ?? `${now.toISOString().slice(0, 8)}01`;
  const to = query.to ?? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0)).toISOString().slice(0, 10);
  if (from > to)
    throw new ApiError("invalid_request", "the request does not match the schema", [{ field: "from", message: "must not be after to" }]);
  const groupBy = query.group_by ?? "day";
  const group = GROUP_COLUMNS[groupBy];
  const conditions = [gte(costRollups.day, from), lte(costRollups.day, to)];
  if (keyId) conditions.push(eq(costRollups.keyId, keyId));
  const rows = await db
    .select({
      group,
      executions: sql<string>`sum(${costRollups.executions})`,
      sandboxMs: sql<string>`sum(${costRollups.sandboxMs})`,
      costMicros: sql<string>`sum(${costRollups.costMicros})`,
    })
    .from(costRollups)
    .where(and(...conditions))
    .groupBy(group)
    .orderBy(group);
  let total = 0n;
  let executions = 0;
  let sandboxMs = 0;
  const out = rows.map((row) => {
    total += BigInt(row.costMicros);
    executions += Number(row.executions);
    sandboxMs += Number(row.sandboxMs);
    return {
      group: row.group,
      executions: Number(row.executions),
      sandbox_ms: Number(row.sandboxMs),
      cost_usd: microsToUsd(BigInt(row.costMicros)),
    };
  });
  return { from, to, group_by: groupBy, total_usd: microsToUsd(total), executions, sandbox_seconds: sandboxMs / 1000, rows: out };
}

/** The report's rows as CSV with a header line. */
export function costReportCsv(report: CostReport): string {
  const quote = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const lines = [
    "group,executions,sandbox_ms,cost_usd",
    ...report.rows.map((r) => [quote(r.group), r.executions, r.sandbox_ms, r.cost_usd].join(",")),
  ];
  return `${lines.join("\n")}\n`;
}
