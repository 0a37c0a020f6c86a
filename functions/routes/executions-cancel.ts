import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { cancelExecution, completedEventOf, loadExecution } from "../ledger/index.js";
import { errorResponses, signedRouteErrors, signedSecurity } from "../schemas/error.js";
import { zExecution, zExecutionIdParam } from "../schemas/execution.js";
import { queueDeliveries } from "../services/event-delivery.js";
import { executionView } from "../services/execution-view.js";

export const cancelExecutionRoute = createRoute({
  method: "post",
  path: "/v1/executions/{id}/cancel",
  summary: "Cancel a queued or running execution (its sandbox is killed)",
  security: signedSecurity,
  request: { params: zExecutionIdParam },
  responses: {
    200: { description: "The execution, now canceled", content: { "application/json": { schema: zExecution } } },
    ...errorResponses(...signedRouteErrors, "not_found", "execution_finished"),
  },
});

export function registerCancelExecution(app: OpenAPIHono<AppEnv>): void {
  app.openapi(cancelExecutionRoute, async (c) => {
    const services = c.get("services");
    const canceled = await cancelExecution(services, c.get("key").id, c.req.valid("param").id);
    // A running one: its runner sees the sandbox die, settles what ran, and owes the webhook then.
    if (!canceled.settledAt && canceled.sandboxId) await services.sandboxes.kill(canceled.sandboxId).catch(() => false);
    if (canceled.settledAt) await services.holders.settled([canceled.id]);
    const event = canceled.settledAt && canceled.webhookUrl ? await completedEventOf(services, canceled.id) : null;
    if (event) await queueDeliveries(services, [event.id]);
    return c.json(executionView((await loadExecution(services, canceled.id)) ?? { ...canceled, webhook: null }), 200);
  });
}
