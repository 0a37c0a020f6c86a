import { index, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { events } from "./events.js";

/** Every attempt to deliver an event to its destination. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    eventId: text("event_id")
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    at: timestamp("at", { withTimezone: true, precision: 3 }).notNull(),
    statusCode: integer("status_code"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
  },
  (t) => [primaryKey({ name: "webhook_deliveries_pk", columns: [t.eventId, t.attempt] }), index("webhook_deliveries_at_idx").on(t.at)],
);
