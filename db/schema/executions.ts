import { sql } from "drizzle-orm";
import { bigint, boolean, check, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { EXECUTION_STATUSES } from "./enums.js";
import { keys } from "./keys.js";

export interface ExecutionFile {
  path: string;
  content: string;
  encoding: "utf8" | "base64";
}

/** A file the run left behind that matched one of its `outputs` patterns. */
export interface OutputFile {
  /** Relative to /home/user. */
  path: string;
  size: number;
  encoding: "utf8" | "base64";
  content: string;
}

export interface ExecutionResult {
  stdout: string;
  stderr: string;
  text: string | null;
  results: Record<string, unknown>[];
  error: { name: string; value: string; traceback: string } | null;
  exit_code: number | null;
  truncated: boolean;
  /** Absent from runs recorded before output files existed. */
  files?: OutputFile[];
}

/** The ledger: one row per execution, from submit to settlement. */
export const executions = pgTable(
  "executions",
  {
    id: text("id").primaryKey(),
    keyId: text("key_id")
      .notNull()
      .references(() => keys.id, { onDelete: "restrict" }),
    status: text("status", { enum: EXECUTION_STATUSES }).notNull(),
    language: text("language").notNull(),
    template: text("template").notNull(),
    timeoutMs: integer("timeout_ms").notNull(),
    code: text("code").notNull(),
    /** Plaintext only in rows from before inputs were sealed; `{}` since. */
    env: jsonb("env").$type<Record<string, string>>().notNull(),
    /** Likewise `[]` since inputs are sealed. */
    files: jsonb("files").$type<ExecutionFile[]>().notNull(),
    /** `env` and `files`, AES-GCM sealed under the deployment's key, bound to the execution's id. */
    inputsCiphertext: text("inputs_ciphertext"),
    /** When `code` and the inputs were erased, the retention period after the execution finished. */
    inputsPurgedAt: timestamp("inputs_purged_at", { withTimezone: true, precision: 3 }),
    metadata: jsonb("metadata").$type<Record<string, string>>().notNull(),
    /** Whether the sandbox may reach the internet: the request's `internet`, else its key's `internet_access`. */
    internet: boolean("internet").notNull().default(true),
    /** Glob patterns under /home/user whose files come back in `result.files`. */
    outputs: jsonb("outputs").$type<string[]>().notNull().default([]),
    /** Labels for reports and filters, in the order given. */
    tags: text("tags").array().notNull().default(sql`'{}'::text[]`),
    /** The hour window this execution is charged to, when its key had an hourly limit at submit. */
    hourStart: timestamp("hour_start", { withTimezone: true, precision: 3 }),
    /** Where its final event goes; the event itself is in the outbox (`events`) once it is owed. */
    webhookUrl: text("webhook_url"),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull(),
    startedAt: timestamp("started_at", { withTimezone: true, precision: 3 }),
    finishedAt: timestamp("finished_at", { withTimezone: true, precision: 3 }),
    sandboxId: text("sandbox_id"),
    durationMs: integer("duration_ms"),
    sandboxMs: integer("sandbox_ms"),
    /** The budget period this execution is charged to (its creation's). */
    periodStart: timestamp("period_start", { withTimezone: true, precision: 3 }).notNull(),
    /** Price of one sandbox-second when it was submitted, in 1e-12 USD, so reports survive price changes. */
    ratePicosPerSecond: bigint("rate_picos_per_second", { mode: "bigint" }).notNull(),
    reservedMicros: bigint("reserved_micros", { mode: "bigint" }).notNull(),
    costMicros: bigint("cost_micros", { mode: "bigint" }),
    settledAt: timestamp("settled_at", { withTimezone: true, precision: 3 }),
    result: jsonb("result").$type<ExecutionResult>(),
  },
  (t) => [
    index("executions_key_created_idx").on(t.keyId, t.id),
    index("executions_active_idx").on(t.keyId).where(sql`${t.status} in ('queued', 'running')`),
    index("executions_inputs_retained_idx").on(t.finishedAt).where(sql`${t.inputsPurgedAt} is null`),
    index("executions_tags_idx").using("gin", t.tags),
    check("executions_money_non_negative", sql`${t.reservedMicros} >= 0 and (${t.costMicros} is null or ${t.costMicros} >= 0)`),
  ],
);

export type ExecutionRow = typeof executions.$inferSelect;
