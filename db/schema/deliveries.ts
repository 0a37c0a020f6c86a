import { index, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { executions } from "./executions.js";

/** Every attempt to deliver an execution's final event to its webhook. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    executionId: text("execution_id")
      .notNull()
      .references(() => executions.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    at: timestamp("at", { withTimezone: true, precision: 3 }).notNull(),
    statusCode: integer("status_code"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
  },
  (t) => [primaryKey({ name: "webhook_deliveries_pk", columns: [t.executionId, t.attempt] }), index("webhook_deliveries_at_idx").on(t.at)],
);
