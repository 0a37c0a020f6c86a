import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { attemptsOf, completedEventOf, getExecution } from "../ledger/index.js";
import { errorResponses, signedRouteErrors, signedSecurity } from "../schemas/error.js";
import { zExecutionIdParam } from "../schemas/execution.js";

const zDelivery = z
  .object({
    attempt: z.number().int(),
    at: z.string(),
    status_code: z.number().int().nullable(),
    error: z.string().nullable(),
    duration_ms: z.number().int(),
  })
  .openapi("Delivery");

export const listDeliveriesRoute = createRoute({
  method: "get",
  path: "/v1/executions/{id}/deliveries",
  summary: "Every attempt to deliver this execution's webhook, oldest first",
  security: signedSecurity,
  request: { params: zExecutionIdParam },
  responses: {
    200: { description: "The delivery log", content: { "application/json": { schema: z.object({ data: z.array(zDelivery) }) } } },
    ...errorResponses(...signedRouteErrors, "not_found"),
  },
});

export function registerListDeliveries(app: OpenAPIHono<AppEnv>): void {
  app.openapi(listDeliveriesRoute, async (c) => {
    const services = c.get("services");
    const execution = await getExecution(services, c.get("key").id, c.req.valid("param").id);
    const event = await completedEventOf(services, execution.id);
    const rows = event ? await attemptsOf(services, event.id) : [];
    const data = rows.map((r) => ({
      attempt: r.attempt,
      at: r.at.toISOString(),
      status_code: r.statusCode,
      error: r.error,
      duration_ms: r.durationMs,
    }));
    return c.json({ data }, 200);
  });
}
