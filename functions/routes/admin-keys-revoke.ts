import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { completedEventOf, revokeKeyExecutions } from "../ledger/index.js";
import { adminRouteErrors, adminSecurity, errorResponses, jsonContent } from "../schemas/error.js";
import { zKey, zKeyIdParam } from "../schemas/key.js";
import { queueDeliveries } from "../services/event-delivery.js";
import { forgetKey } from "../services/key-cache.js";
import { getKey, keyView } from "../services/keys.js";

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
    const services = c.get("services");
    const id = c.req.valid("param").id;
    const canceled = await revokeKeyExecutions(services, id);
    forgetKey(id);
    await services.holders.settled(canceled.map((e) => e.id));
    const owed = await Promise.all(canceled.filter((e) => e.webhookUrl).map((e) => completedEventOf(services, e.id)));
    await queueDeliveries(
      services,
      owed.flatMap((event) => (event ? [event.id] : [])),
    );
    return c.json(keyView(await getKey(services.db, id)), 200);
  });
}
