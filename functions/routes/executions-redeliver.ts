import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { finalStatuses } from "../../db/schema/index.js";
import type { AppEnv } from "../context.js";
import { invalidField } from "../errors.js";
import { errorResponses, signedRouteErrors, signedSecurity } from "../schemas/error.js";
import { zExecution, zExecutionIdParam } from "../schemas/execution.js";
import { executionView } from "../services/execution-view.js";
import { getExecution } from "../services/ledger.js";
import { redeliver } from "../services/webhook-delivery.js";

export const redeliverRoute = createRoute({
  method: "post",
  path: "/v1/executions/{id}/redeliver",
  summary: "Queue one more delivery of the final event (same webhook-id)",
  security: signedSecurity,
  request: { params: zExecutionIdParam },
  responses: {
    202: { description: "Queued; the execution with its webhook pending again", content: { "application/json": { schema: zExecution } } },
    ...errorResponses(...signedRouteErrors, "not_found", "invalid_request"),
  },
});

export function registerRedeliver(app: OpenAPIHono<AppEnv>): void {
  app.openapi(redeliverRoute, async (c) => {
    const { db, deliveries, clock } = c.get("services");
    const execution = await getExecution(db, c.get("key").id, c.req.valid("param").id);
    if (!execution.webhookUrl) throw invalidField("webhook_url", "this execution was submitted without a webhook_url");
    if (!finalStatuses.includes(execution.status))
      throw invalidField("status", "the execution has not finished; its event is delivered when it does");
    return c.json(executionView(await redeliver(db, deliveries, execution, clock.now())), 202);
  });
}
