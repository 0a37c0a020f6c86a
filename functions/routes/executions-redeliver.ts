import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { isFinalStatus } from "../../db/schema/enums.js";
import type { AppEnv } from "../context.js";
import { invalidField } from "../errors.js";
import { completedEventOf, getExecution, loadExecution, redeliverEvent } from "../ledger/index.js";
import { errorResponses, signedRouteErrors, signedSecurity } from "../schemas/error.js";
import { zExecution, zExecutionIdParam } from "../schemas/execution.js";
import { queueDeliveries } from "../services/event-delivery.js";
import { executionView } from "../services/execution-view.js";

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
    const services = c.get("services");
    const execution = await getExecution(services, c.get("key").id, c.req.valid("param").id);
    if (!execution.webhookUrl) throw invalidField("webhook_url", "this execution was submitted without a webhook_url");
    if (!isFinalStatus(execution.status))
      throw invalidField("status", "the execution has not finished; its event is delivered when it does");
    const event = await completedEventOf(services, execution.id);
    if (!event) throw invalidField("status", "the execution's event is not owed yet; it is delivered when it is");
    await redeliverEvent(services, event.id);
    await queueDeliveries(services, [event.id]);
    return c.json(executionView((await loadExecution(services, execution.id)) ?? execution), 202);
  });
}
