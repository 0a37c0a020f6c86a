import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { KEY_GROUPINGS } from "../../db/schema/enums.js";
import type { AppEnv } from "../context.js";
import { errorResponses, signedRouteErrors, signedSecurity } from "../schemas/error.js";
import { type CostReport, zCostReport, zCostsQuery } from "../schemas/money-reports.js";
import { costReport, costReportCsv } from "../services/reports.js";

export const costsResponses = {
  200: {
    description: "Settled executions created in the range, grouped; `Accept: text/csv` gives the rows as CSV",
    content: { "application/json": { schema: zCostReport }, "text/csv": { schema: z.string() } },
  },
};

export const getCostsRoute = createRoute({
  method: "get",
  path: "/v1/costs",
  summary: "What this key spent, on what, when",
  security: signedSecurity,
  request: { query: zCostsQuery(KEY_GROUPINGS) },
  responses: { ...costsResponses, ...errorResponses(...signedRouteErrors, "invalid_request") },
});

/** JSON, or CSV when the caller asks for it. */
export function sendReport(c: Context<AppEnv>, report: CostReport) {
  if ((c.req.header("accept") ?? "").includes("text/csv")) {
    return c.body(costReportCsv(report), 200, { "content-type": "text/csv; charset=utf-8" }) as never;
  }
  return c.json(report, 200);
}

export function registerGetCosts(app: OpenAPIHono<AppEnv>): void {
  app.openapi(getCostsRoute, async (c) => {
    const { db, clock } = c.get("services");
    return sendReport(c, await costReport(db, c.get("key").id, c.req.valid("query"), clock.now()));
  });
}
