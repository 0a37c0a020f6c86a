import { sql } from "drizzle-orm";
import { bigint, boolean, check, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { keys } from "./keys.js";

/**
 * Spent and reserved money of one key in one budget period. A submit reserves with one
 * conditional upsert; a settlement releases the reservation and adds the actual cost.
 */
export const budgetUsage = pgTable(
  "budget_usage",
  {
    keyId: text("key_id")
      .notNull()
      .references(() => keys.id, { onDelete: "cascade" }),
    periodStart: timestamp("period_start", { withTimezone: true, precision: 3 }).notNull(),
    spentMicros: bigint("spent_micros", { mode: "bigint" }).notNull().default(sql`0`),
    reservedMicros: bigint("reserved_micros", { mode: "bigint" }).notNull().default(sql`0`),
    /** The key's alert thresholds (percents) already reached in this period: each fires once. */
    alertedThresholds: integer("alerted_thresholds").array().notNull().default(sql`'{}'::integer[]`),
  },
  (t) => [
    primaryKey({ name: "budget_usage_pk", columns: [t.keyId, t.periodStart] }),
    check("budget_usage_non_negative", sql`${t.spentMicros} >= 0 and ${t.reservedMicros} >= 0`),
  ],
);

export type BudgetUsageRow = typeof budgetUsage.$inferSelect;

/**
 * The hour window of a key with an `hourly_limit_usd`: spent and reserved in one UTC hour,
 * reserved and released with the main budget, in the same statements.
 */
export const hourUsage = pgTable(
  "hour_usage",
  {
    keyId: text("key_id")
      .notNull()
      .references(() => keys.id, { onDelete: "cascade" }),
    hourStart: timestamp("hour_start", { withTimezone: true, precision: 3 }).notNull(),
    spentMicros: bigint("spent_micros", { mode: "bigint" }).notNull().default(sql`0`),
    reservedMicros: bigint("reserved_micros", { mode: "bigint" }).notNull().default(sql`0`),
    /** Whether this hour's first refusal has sent its `budget.hourly_limit_reached`. */
    limitReached: boolean("limit_reached").notNull().default(false),
  },
  (t) => [
    primaryKey({ name: "hour_usage_pk", columns: [t.keyId, t.hourStart] }),
    check("hour_usage_non_negative", sql`${t.spentMicros} >= 0 and ${t.reservedMicros} >= 0`),
  ],
);

export type HourUsageRow = typeof hourUsage.$inferSelect;
