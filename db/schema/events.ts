import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { DELIVERY_STATUSES } from "./enums.js";
import { executions } from "./executions.js";
import { keys } from "./keys.js";

/**
 * The outbox: every event runledger owes a destination, inserted by the same statement as the
 * transition that caused it (an execution's final state, a budget alert). Delivery and the sweep
 * read only this table, so an event, once its cause is recorded, cannot be lost.
 */
export const events = pgTable(
  "events",
  {
    /** The `webhook-id`, the same on every attempt: `msg_…`. */
    id: text("id").primaryKey(),
    keyId: text("key_id")
      .notNull()
      .references(() => keys.id, { onDelete: "cascade" }),
    /** The execution an `execution.completed` event reports; null for account events. */
    executionId: text("execution_id").references(() => executions.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    url: text("url").notNull(),
    /** An account event's payload; an execution's is built from its row when sent. */
    data: jsonb("data").$type<Record<string, unknown>>(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull(),
    status: text("status", { enum: DELIVERY_STATUSES }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    /** Attempts made before the current delivery cycle (a redelivery starts a new one). */
    attemptBase: integer("attempt_base").notNull().default(0),
    /** When the next attempt is due; while one is in flight, when its lease runs out. */
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true, precision: 3 }),
  },
  (t) => [
    uniqueIndex("events_execution_idx").on(t.executionId),
    index("events_key_idx").on(t.keyId, t.id),
    index("events_due_idx").on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
  ],
);

export type EventRow = typeof events.$inferSelect;
