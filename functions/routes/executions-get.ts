import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { getExecution } from "../ledger/index.js";
import { errorResponses, signedRouteErrors, signedSecurity } from "../schemas/error.js";
import { zExecution, zExecutionIdParam, zQueryInt } from "../schemas/execution.js";
import { executionView } from "../services/execution-view.js";
import { waitForFinal } from "../services/wait-for-final.js";

export const getExecutionRoute = createRoute({
  method: "get",
  path: "/v1/executions/{id}",
  summary: "One execution of this key, held up to wait seconds for it to finish",
  security: signedSecurity,
  request: {
    params: zExecutionIdParam,
    query: z.object({ wait: zQueryInt(0, 60, "seconds (0–60) to hold the answer until the execution finishes") }),
  },
  responses: {
    200: {
      description: "The execution (as it is when it finished, or when `wait` ran out)",
      content: { "application/json": { schema: zExecution } },
    },
    ...errorResponses(...signedRouteErrors, "not_found", "invalid_request"),
  },
});

export function registerGetExecution(app: OpenAPIHono<AppEnv>): void {
  app.openapi(getExecutionRoute, async (c) => {
    const services = c.get("services");
    const { wait } = c.req.valid("query");
    const execution = await getExecution(services, c.get("key").id, c.req.valid("param").id);
    return c.json(executionView(await waitForFinal(services, execution, wait ?? 0)), 200);
  });
}
