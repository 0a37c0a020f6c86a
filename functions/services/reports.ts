import { and, eq, gte, lte, sql } from "drizzle-orm";
import type { Database } from "../../db/client.js";
import { budgetUsage, costRollups, hourUsage, type KeyRow, tagCostRollups } from "../../db/schema/index.js";
import { ApiError } from "../errors.js";
import { microsToUsd } from "../money.js";
import type { Budget, CostReport } from "../schemas/money-reports.js";
import { periodEnd, periodStart } from "./budget-period.js";

/** Where a key stands in its current budget period (and hour window); a period nobody spent in yet is all remaining. */
export async function budgetOf(db: Database, key: KeyRow, now: Date): Promise<Budget> {
  const start = periodStart(key.budgetPeriod, now, key.createdAt);
  const hourStart = new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS);
  const [[usage], [hour]] = await Promise.all([
    db
      .select()
      .from(budgetUsage)
      .where(and(eq(budgetUsage.keyId, key.id), eq(budgetUsage.periodStart, start))),
    key.hourlyLimitMicros === null
      ? Promise.resolve([])
      : db
          .select()
          .from(hourUsage)
          .where(and(eq(hourUsage.keyId, key.id), eq(hourUsage.hourStart, hourStart))),
  ]);
  const end = periodEnd(key.budgetPeriod, start);
  return {
    period: key.budgetPeriod,
    period_start: start.toISOString(),
    period_end: end ? end.toISOString() : null,
    ...window(key.budgetMicros, usage),
    hour: key.hourlyLimitMicros === null ? null : { period_start: hourStart.toISOString(), ...window(key.hourlyLimitMicros, hour) },
  };
}

const HOUR_MS = 60 * 60 * 1000;

function window(limit: bigint, usage: { spentMicros: bigint; reservedMicros: bigint } | undefined) {
  const spent = usage?.spentMicros ?? 0n;
  const reserved = usage?.reservedMicros ?? 0n;
  const remaining = limit - spent - reserved;
  return {
    limit_usd: microsToUsd(limit),
    spent_usd: microsToUsd(spent),
    reserved_usd: microsToUsd(reserved),
    remaining_usd: microsToUsd(remaining > 0n ? remaining : 0n),
  };
}

export type Grouping = "day" | "template" | "language" | "status" | "key" | "tag";

/** The rollup a report reads: by tag (an execution under each of its tags) when grouped or filtered by tag, else the plain one. */
function rollup(byTag: boolean) {
  const t = byTag ? tagCostRollups : costRollups;
  return {
    table: t,
    day: t.day,
    keyId: t.keyId,
    groups: {
      day: sql<string>`${t.day}::text`,
      template: sql<string>`${t.template}`,
      language: sql<string>`${t.language}`,
      status: sql<string>`${t.status}`,
      key: sql<string>`${t.keyId}`,
      tag: sql<string>`${tagCostRollups.tag}`,
    },
    sums: {
      executions: sql<string>`sum(${t.executions})`,
      sandboxMs: sql<string>`sum(${t.sandboxMs})`,
      costMicros: sql<string>`sum(${t.costMicros})`,
    },
  };
}

/**
 * Settled executions created between `from` and `to` (UTC days, inclusive), grouped, from the
 * rollups the settlements maintain. `keyId` null reports over every key. Grouped by tag, an
 * execution counts under each of its tags, while `total_usd` and `executions` count it once.
 */
export async function costReport(
  db: Database,
  keyId: string | null,
  query: { from?: string; to?: string; group_by?: Grouping; tag?: string },
  now: Date,
): Promise<CostReport> {
  const from = query.from ?? `${now.toISOString().slice(0, 8)}01`;
  const to = query.to ?? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0)).toISOString().slice(0, 10);
  if (from > to)
    throw new ApiError("invalid_request", "the request does not match the schema", [{ field: "from", message: "must not be after to" }]);
  const groupBy = query.group_by ?? "day";
  const source = rollup(groupBy === "tag" || query.tag !== undefined);
  const group = source.groups[groupBy];
  const conditions = [gte(source.day, from), lte(source.day, to)];
  if (keyId) conditions.push(eq(source.keyId, keyId));
  if (query.tag !== undefined) conditions.push(eq(tagCostRollups.tag, query.tag));
  const rows = await db
    .select({ group, ...source.sums })
    .from(source.table)
    .where(and(...conditions))
    .groupBy(group)
    .orderBy(group);
  const out = rows.map((row) => ({
    group: row.group,
    executions: Number(row.executions),
    sandbox_ms: Number(row.sandboxMs),
    cost_usd: microsToUsd(BigInt(row.costMicros)),
  }));
  const totals = groupBy === "tag" && query.tag === undefined ? await overallTotals(db, keyId, from, to) : sumOf(rows);
  return {
    from,
    to,
    group_by: groupBy,
    total_usd: microsToUsd(totals.costMicros),
    executions: totals.executions,
    sandbox_seconds: totals.sandboxMs / 1000,
    rows: out,
  };
}

interface Totals {
  executions: number;
  sandboxMs: number;
  costMicros: bigint;
}

/** Sums of rows (an aggregate over no rows is one row of nulls: nothing). */
function sumOf(rows: Array<{ executions: string | null; sandboxMs: string | null; costMicros: string | null }>): Totals {
  return rows.reduce<Totals>(
    (sum, row) => ({
      executions: sum.executions + Number(row.executions ?? 0),
      sandboxMs: sum.sandboxMs + Number(row.sandboxMs ?? 0),
      costMicros: sum.costMicros + BigInt(row.costMicros ?? 0),
    }),
    { executions: 0, sandboxMs: 0, costMicros: 0n },
  );
}

/** Every execution once, whatever its tags. */
async function overallTotals(db: Database, keyId: string | null, from: string, to: string): Promise<Totals> {
  const plain = rollup(false);
  const conditions = [gte(plain.day, from), lte(plain.day, to)];
  if (keyId) conditions.push(eq(plain.keyId, keyId));
  return sumOf(
    await db
      .select(plain.sums)
      .from(plain.table)
      .where(and(...conditions)),
  );
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
