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
  .object({ group: z.string(), executions: z.number().int(), sandbox_ms: z.number().int(), cost_usd: z.string() })
  .openapi("CostRow");

export const zCostReport = z
  .object({
    from: z.string(),
    to: z.string(),
    group_by: z.string(),
    total_usd: z.string(),
    executions: z.number().int(),
    sandbox_seconds: z.number(),
    rows: z.array(zCostRow),
  })
  .openapi("CostReport");

export const zBudget = z
  .object({
    period: z.enum(BUDGET_PERIODS),
    period_start: z.string(),
    period_end: z.string().nullable(),
    limit_usd: z.string(),
    spent_usd: z.string(),
    reserved_usd: z.string(),
    remaining_usd: z.string(),
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
  .openapi("Budget");

export type CostReport = z.infer<typeof zCostReport>;
export type Budget = z.infer<typeof zBudget>;
