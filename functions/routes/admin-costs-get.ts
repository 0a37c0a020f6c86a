import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { ADMIN_GROUPINGS } from "../../db/schema/enums.js";
import type { AppEnv } from "../context.js";
import { adminRouteErrors, adminSecurity, errorResponses } from "../schemas/error.js";
import { zCostsQuery } from "../schemas/money-reports.js";
import { costReport } from "../services/reports.js";
import { costsResponses, sendReport } from "./costs-get.js";

export const getAdminCostsRoute = createRoute({
  method: "get",
  path: "/admin/costs",
  summary: "What every key spent, grouped by key, day or template",
  security: adminSecurity,
  request: { query: zCostsQuery(ADMIN_GROUPINGS) },
  responses: { ...costsResponses, ...errorResponses(...adminRouteErrors, "invalid_request") },
});

export function registerGetAdminCosts(app: OpenAPIHono<AppEnv>): void {
  app.openapi(getAdminCostsRoute, async (c) => {
    const { db, clock } = c.get("services");
    return sendReport(c, await costReport(db, null, c.req.valid("query"), clock.now()));
  });
}
