import { z } from "@hono/zod-openapi";
import { BUDGET_PERIODS } from "../../db/schema/enums.js";
import { TAG } from "./execution.js";

export const zDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date as YYYY-MM-DD")
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), {
    message: "is not a calendar date",
  });

export function zCostsQuery<G extends readonly [string, ...string[]]>(groupings: G) {
  return z.object({
    from: zDay.optional().openapi({ description: "first UTC day, inclusive (default: the 1st of this month)" }),
    to: zDay.optional().openapi({ description: "last UTC day, inclusive (default: the last day of this month)" }),
    group_by: z.enum(groupings).optional().openapi({ description: "default day; tag counts an execution under each of its tags" }),
    tag: z.string().regex(TAG, "tags match ^[a-z0-9][a-z0-9:._-]{0,63}$").optional().openapi({
      description: "only executions with this tag",
    }),
  });
}

export const zCostRow = z
  .object({
    group: z.string().openapi({ description: "the day, template, language, status, tag or key this row counts", example: "2026-11-22" }),
    executions: z.number().int().openapi({ example: 12 }),
    sandbox_ms: z.number().int().openapi({ description: "sandbox lifetime billed", example: 2544 }),
    cost_usd: z.string().openapi({ example: "0.000444" }),
  })
  .openapi("CostRow");

export const zCostReport = z
  .object({
    from: z.string().openapi({ description: "first UTC day, inclusive", example: "2026-11-01" }),
    to: z.string().openapi({ description: "last UTC day, inclusive", example: "2026-11-30" }),
    group_by: z.string().openapi({ description: "how rows are grouped", example: "day" }),
    total_usd: z.string().openapi({ description: "every execution counted once, whatever the grouping", example: "0.000444" }),
    executions: z.number().int().openapi({ description: "executions created in the range", example: 12 }),
    sandbox_seconds: z.number().openapi({ description: "sandbox lifetime billed, in seconds", example: 2.544 }),
    rows: z.array(zCostRow),
  })
  .openapi("CostReport", { description: "Costs by the execution's creation day (UTC), grouped as asked" });

export const zBudget = z
  .object({
    period: z.enum(BUDGET_PERIODS).openapi({ example: "month" }),
    period_start: z.string().openapi({ example: "2026-11-01T00:00:00.000Z" }),
    period_end: z
      .string()
      .nullable()
      .openapi({ description: "null for a total budget, which never resets", example: "2026-12-01T00:00:00.000Z" }),
    limit_usd: z.string().openapi({ example: "25.000000" }),
    spent_usd: z.string().openapi({ description: "the actual cost of finished executions", example: "1.204311" }),
    reserved_usd: z.string().openapi({ description: "held for executions queued or running", example: "0.002294" }),
    remaining_usd: z.string().openapi({ description: "max(0, limit - spent - reserved)", example: "23.793395" }),
    hour: z
      .object({
        period_start: z.string(),
        limit_usd: z.string(),
        spent_usd: z.string(),
        reserved_usd: z.string(),
        remaining_usd: z.string(),
      })
      .nullable()
      .openapi({ description: "the hour window, when the key has an hourly_limit_usd" }),
  })
  .openapi("Budget", { description: "The key's budget in its current period" });

export type CostReport = z.infer<typeof zCostReport>;
export type Budget = z.infer<typeof zBudget>;
