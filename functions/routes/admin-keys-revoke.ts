import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { adminRouteErrors, adminSecurity, errorResponses, jsonContent } from "../schemas/error.js";
import { zKey, zKeyIdParam } from "../schemas/key.js";
import { keyView, revokeKey } from "../services/keys.js";
import { scheduleDelivery } from "../services/webhook-delivery.js";

export const revokeKeyRoute = createRoute({
  method: "delete",
  path: "/admin/keys/{id}",
  summary: "Revoke a key: its queued executions are canceled and their reservations released",
  security: adminSecurity,
  request: { params: zKeyIdParam },
  responses: { 200: jsonContent(zKey, "The key, with revoked_at"), ...errorResponses(...adminRouteErrors, "not_found") },
});

export function registerRevokeKey(app: OpenAPIHono<AppEnv>): void {
  app.openapi(revokeKeyRoute, async (c) => {
    const { db, clock, deliveries } = c.get("services");
    const { key, canceled } = await revokeKey(db, c.req.valid("param").id, clock);
    for (const execution of canceled) if (execution.webhookUrl) await scheduleDelivery(db, deliveries, execution.id, clock.now());
    return c.json(keyView(key), 200);
  });
}
