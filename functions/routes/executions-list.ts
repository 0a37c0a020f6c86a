import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { EXECUTION_STATUSES } from "../../db/schema/enums.js";
import type { AppEnv } from "../context.js";
import { listExecutions } from "../ledger/index.js";
import { errorResponses, signedRouteErrors, signedSecurity } from "../schemas/error.js";
import { TAG, zExecutionList, zQueryInt } from "../schemas/execution.js";
import { executionView } from "../services/execution-view.js";

export const listExecutionsRoute = createRoute({
  method: "get",
  path: "/v1/executions",
  summary: "This key's executions, newest first",
  security: signedSecurity,
  request: {
    query: z.object({
      status: z.enum(EXECUTION_STATUSES).optional(),
      tag: z
        .string()
        .regex(TAG, "tags match ^[a-z0-9][a-z0-9:._-]{0,63}$")
        .optional()
        .openapi({ description: "only executions with this tag" }),
      limit: zQueryInt(1, 100, "1–100, default 20"),
      cursor: z
        .string()
        .regex(/^exe_[0-9a-z]{24}$/, "must be a next_cursor from an earlier page")
        .optional(),
    }),
  },
  responses: {
    200: { description: "A page of executions", content: { "application/json": { schema: zExecutionList } } },
    ...errorResponses(...signedRouteErrors, "invalid_request"),
  },
});

export function registerListExecutions(app: OpenAPIHono<AppEnv>): void {
  app.openapi(listExecutionsRoute, async (c) => {
    const { status, tag, limit, cursor } = c.req.valid("query");
    const page = await listExecutions(c.get("services"), c.get("key").id, { status, tag, limit: limit ?? 20, cursor });
    return c.json({ data: page.rows.map(executionView), next_cursor: page.nextCursor }, 200);
  });
}
