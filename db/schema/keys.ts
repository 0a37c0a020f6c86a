import { sql } from "drizzle-orm";
import { bigint, boolean, check, index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** API keys: who may call, with what budget and limits. Secrets are AES-GCM ciphertexts. */
export const keys = pgTable(
  "keys",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    secretCiphertext: text("secret_ciphertext").notNull(),
    previousSecretCiphertext: text("previous_secret_ciphertext"),
    previousSecretValidUntil: timestamp("previous_secret_valid_until", { withTimezone: true, precision: 3 }),
    webhookSecretCiphertext: text("webhook_secret_ciphertext").notNull(),
    budgetMicros: bigint("budget_micros", { mode: "bigint" }).notNull(),
    budgetPeriod: text("budget_period", { enum: ["day", "month", "total"] }).notNull(),
    maxTimeoutMs: integer("max_timeout_ms").notNull(),
    maxConcurrency: integer("max_concurrency").notNull(),
    /** Templates this key may use; null means all. */
    templates: text("templates").array(),
    /** Whether this key's runs may reach the internet (E2B's default is yes). */
    internetAccess: boolean("internet_access").notNull().default(true),
    /** A second budget window over the current UTC hour; null: none. */
    hourlyLimitMicros: bigint("hourly_limit_micros", { mode: "bigint" }),
    /** Where the key's account events (budget alerts) go; null: nowhere. */
    eventsUrl: text("events_url"),
    /** Percents of the main budget at which `budget.threshold_reached` fires, once each per period. */
    alertThresholds: integer("alert_thresholds").array().notNull().default(sql`'{80,100}'::integer[]`),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true, precision: 3 }),
  },
  (t) => [
    check("keys_budget_non_negative", sql`${t.budgetMicros} >= 0`),
    check("keys_limits_positive", sql`${t.maxTimeoutMs} >= 1000 and ${t.maxConcurrency} >= 1`),
    index("keys_created_at_idx").on(t.createdAt),
  ],
);

export type KeyRow = typeof keys.$inferSelect;
