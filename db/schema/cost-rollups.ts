import { bigint, date, index, integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { keys } from "./keys.js";

/**
 * Settled executions summed per key, UTC day of creation, template, language and final status:
 * kept up to date in each settlement's transaction, so cost reports read a few rows per day
 * however large the ledger grows.
 */
export const costRollups = pgTable(
  "cost_rollups",
  {
    keyId: text("key_id")
      .notNull()
      .references(() => keys.id, { onDelete: "cascade" }),
    day: date("day", { mode: "string" }).notNull(),
    template: text("template").notNull(),
    language: text("language").notNull(),
    status: text("status").notNull(),
    executions: integer("executions").notNull(),
    sandboxMs: bigint("sandbox_ms", { mode: "bigint" }).notNull(),
    costMicros: bigint("cost_micros", { mode: "bigint" }).notNull(),
  },
  (t) => [
    primaryKey({ name: "cost_rollups_pk", columns: [t.keyId, t.day, t.template, t.language, t.status] }),
    index("cost_rollups_day_idx").on(t.day),
  ],
);

/**
 * The same sums per tag: an execution counts under each of its tags, an untagged one under `""`.
 * Kept by the same settlement statement, so reports by tag, or filtered to one, read rollups too.
 */
export const tagCostRollups = pgTable(
  "tag_cost_rollups",
  {
    keyId: text("key_id")
      .notNull()
      .references(() => keys.id, { onDelete: "cascade" }),
    day: date("day", { mode: "string" }).notNull(),
    tag: text("tag").notNull(),
    template: text("template").notNull(),
    language: text("language").notNull(),
    status: text("status").notNull(),
    executions: integer("executions").notNull(),
    sandboxMs: bigint("sandbox_ms", { mode: "bigint" }).notNull(),
    costMicros: bigint("cost_micros", { mode: "bigint" }).notNull(),
  },
  (t) => [
    primaryKey({ name: "tag_cost_rollups_pk", columns: [t.keyId, t.day, t.tag, t.template, t.language, t.status] }),
    index("tag_cost_rollups_day_idx").on(t.day, t.tag),
  ],
);
