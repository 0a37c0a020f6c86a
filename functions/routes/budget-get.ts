import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { errorResponses, signedRouteErrors, signedSecurity } from "../schemas/error.js";
import { zBudget } from "../schemas/money-reports.js";
import { budgetOf } from "../services/reports.js";

export const getBudgetRoute = createRoute({
  method: "get",
  path: "/v1/budget",
  summary: "This key's budget in its current period: limit, spent, reserved and remaining",
  security: signedSecurity,
  responses: {
    200: { description: "remaining = max(0, limit − spent − reserved)", content: { "application/json": { schema: zBudget } } },
    ...errorResponses(...signedRouteErrors),
  },
});

export function registerGetBudget(app: OpenAPIHono<AppEnv>): void {
  app.openapi(getBudgetRoute, async (c) => {
    const { db, clock } = c.get("services");
    return c.json(await budgetOf(db, c.get("key"), clock.now()), 200);
  });
}
