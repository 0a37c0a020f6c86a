import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { getExecution } from "../ledger/index.js";
import { errorResponses, signedRouteErrors, signedSecurity } from "../schemas/error.js";
import { zExecution, zExecutionIdParam } from "../schemas/execution.js";
import { executionView } from "../services/execution-view.js";

export const getExecutionRoute = createRoute({
  method: "get",
  path: "/v1/executions/{id}",
  summary: "One execution of this key",
  security: signedSecurity,
  request: { params: zExecutionIdParam },
  responses: {
    200: { description: "The execution", content: { "application/json": { schema: zExecution } } },
    ...errorResponses(...signedRouteErrors, "not_found"),
  },
});

export function registerGetExecution(app: OpenAPIHono<AppEnv>): void {
  app.openapi(getExecutionRoute, async (c) => {
    const row = await getExecution(c.get("services"), c.get("key").id, c.req.valid("param").id);
    return c.json(executionView(row), 200);
  });
}
