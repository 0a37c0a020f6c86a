import { sql } from "drizzle-orm";
import { bigint, check, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
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
  },
  (t) => [
    primaryKey({ name: "budget_usage_pk", columns: [t.keyId, t.periodStart] }),
    check("budget_usage_non_negative", sql`${t.spentMicros} >= 0 and ${t.reservedMicros} >= 0`),
  ],
);

export type BudgetUsageRow = typeof budgetUsage.$inferSelect;
