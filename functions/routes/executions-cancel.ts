import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { errorResponses, signedRouteErrors, signedSecurity } from "../schemas/error.js";
import { zExecution, zExecutionIdParam } from "../schemas/execution.js";
import { executionView } from "../services/execution-view.js";
import { cancelExecution } from "../services/ledger.js";
import { scheduleDelivery } from "../services/webhook-delivery.js";

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
    const { db, clock, sandboxes, deliveries } = c.get("services");
    const { row, sandboxId } = await cancelExecution(db, c.get("key").id, c.req.valid("param").id, clock.now());
    // A running one: its consumer sees the sandbox die, settles what ran, and sends the webhook.
    if (sandboxId) await sandboxes.kill(sandboxId).catch(() => false);
    if (row.settledAt && row.webhookUrl) await scheduleDelivery(db, deliveries, row.id, clock.now());
    return c.json(executionView(row), 200);
  });
}
