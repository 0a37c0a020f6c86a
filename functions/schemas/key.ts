import { z } from "@hono/zod-openapi";
import { BUDGET_PERIODS } from "../../db/schema/enums.js";
import { usdToMicros } from "../money.js";

/** Money in: a decimal string or a JSON number with at most 6 places. */
export const zUsd = z
  .union([z.string(), z.number()])
  .refine((v) => usdToMicros(v) !== null, { message: "must be a non-negative amount of US dollars with at most 6 decimal places" })
  .transform((v) => usdToMicros(v) as bigint)
  .openapi({ type: "string", example: "25.00" });

const zTemplates = z.array(z.string().min(1).max(128)).min(1).max(64);

/** 1–5 distinct whole percents of the main budget, 1–100. */
const zAlertThresholds = z
  .array(z.number().int().min(1).max(100))
  .min(1)
  .max(5)
  .refine((t) => new Set(t).size === t.length, { message: "must be distinct" })
  .openapi({ example: [80, 100] });

export const zKeyCreate = z
  .strictObject({
    name: z.string().min(1).max(200).openapi({ description: "for people: who or what uses the key", example: "ci-nightly" }),
    budget_usd: zUsd.openapi({ description: "what the key may spend per budget_period, in US dollars" }),
    budget_period: z
      .enum(BUDGET_PERIODS)
      .openapi({ description: "day and month reset at UTC midnight and on the 1st; total never resets", example: "month" }),
    max_timeout_ms: z
      .number()
      .int()
      .min(1000)
      .max(24 * 60 * 60 * 1000)
      .default(300_000)
      .openapi({ description: "the largest timeout_ms its executions may ask for (up to 24 h)" }),
    max_concurrency: z.number().int().min(1).max(1000).default(10).openapi({ description: "executions queued or running at once" }),
    templates: zTemplates.optional().openapi({ description: "the templates it may use (default: all)", example: ["code-interpreter-v1"] }),
    internet_access: z.boolean().default(true).openapi({ description: "whether this key's runs may reach the internet" }),
    hourly_limit_usd: zUsd.optional().openapi({ description: "a second budget window over the current UTC hour" }),
    events_url: z.string().max(2048).optional().openapi({ description: "where budget alerts go (the webhook_url rules apply)" }),
    alert_thresholds: zAlertThresholds.default([80, 100]).openapi({
      description: "percents of the budget at which one budget.threshold_reached event goes to events_url, once per period",
    }),
  })
  .openapi("KeyCreate", { example: { name: "ci-nightly", budget_usd: "25.00", budget_period: "month" } });

export const zKeyPatch = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    budget_usd: zUsd.optional(),
    budget_period: z.enum(BUDGET_PERIODS).optional(),
    max_timeout_ms: z
      .number()
      .int()
      .min(1000)
      .max(24 * 60 * 60 * 1000)
      .optional(),
    max_concurrency: z.number().int().min(1).max(1000).optional(),
    /** An empty list is not allowed; to allow every template again, send the string "all". */
    templates: z.union([zTemplates, z.literal("all")]).optional(),
    internet_access: z.boolean().optional(),
    /** null removes it. */
    hourly_limit_usd: zUsd
      .nullable()
      .optional()
      .openapi({ type: ["string", "null"], example: "25.00" }),
    events_url: z.string().max(2048).nullable().optional(),
    alert_thresholds: zAlertThresholds.optional(),
  })
  .openapi("KeyPatch");

export const zKey = z
  .object({
    id: z.string().openapi({ description: "the public key id, sent as X-Runledger-Key", example: "key_k7r2m4q9x1v8c3n6b5t0z2wa" }),
    name: z.string().openapi({ example: "ci-nightly" }),
    budget_usd: z.string().openapi({ example: "25.000000" }),
    budget_period: z.enum(BUDGET_PERIODS),
    max_timeout_ms: z.number().int(),
    max_concurrency: z.number().int(),
    templates: z.array(z.string()).nullable(),
    internet_access: z.boolean(),
    hourly_limit_usd: z.string().nullable(),
    events_url: z.string().nullable(),
    alert_thresholds: z.array(z.number().int()),
    created_at: z.string(),
    revoked_at: z.string().nullable().openapi({ description: "when it was revoked; a revoked key signs nothing" }),
  })
  .openapi("Key", { description: "An API key, without its secrets" });

export const zKeyWithSecrets = zKey
  .extend({
    secret: z.string().openapi({ description: "sk_...: signs requests; shown only here and on rotation" }),
    webhook_secret: z.string().openapi({ description: "whsec_...: verifies this key's webhooks (Standard Webhooks); shown only here" }),
  })
  .openapi("KeyWithSecrets", { description: "A new key, with the secrets that are never shown again" });
export const zRotated = z
  .object({
    secret: z.string().openapi({ description: "the new sk_... secret" }),
    previous_valid_until: z.string().openapi({ description: "until when the previous secret still verifies (24 h)" }),
  })
  .openapi("RotatedSecret");
export const zKeyIdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });

export type KeyCreate = z.infer<typeof zKeyCreate>;
export type KeyPatch = z.infer<typeof zKeyPatch>;
export type Key = z.infer<typeof zKey>;
