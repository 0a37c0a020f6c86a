import { index, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { executions } from "./executions.js";
import { keys } from "./keys.js";

/**
 * Signatures seen recently: a second use within the tolerance window is a replay, unless it is the
 * exact resend of a submit with the same `Idempotency-Key` its first use carried (that header is
 * not signed, so it is bound to the signature here).
 */
export const requestNonces = pgTable(
  "request_nonces",
  {
    keyId: text("key_id")
      .notNull()
      .references(() => keys.id, { onDelete: "cascade" }),
    signature: text("signature").notNull(),
    idempotencyKey: text("idempotency_key"),
    expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [primaryKey({ name: "request_nonces_pk", columns: [t.keyId, t.signature] }), index("request_nonces_expires_idx").on(t.expiresAt)],
);

/** `Idempotency-Key` → the execution it created, for 24 hours. */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    keyId: text("key_id")
      .notNull()
      .references(() => keys.id, { onDelete: "cascade" }),
    idempotencyKey: text("idempotency_key").notNull(),
    requestHash: text("request_hash").notNull(),
    executionId: text("execution_id")
      .notNull()
      .references(() => executions.id, { onDelete: "cascade" }),
    expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    primaryKey({ name: "idempotency_keys_pk", columns: [t.keyId, t.idempotencyKey] }),
    index("idempotency_keys_expires_idx").on(t.expiresAt),
  ],
);
