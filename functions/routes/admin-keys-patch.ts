import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { adminRouteErrors, adminSecurity, errorResponses, jsonContent } from "../schemas/error.js";
import { zKey, zKeyIdParam, zKeyPatch } from "../schemas/key.js";
import { forgetKey } from "../services/key-cache.js";
import { eventsDestination, keyView, patchKey } from "../services/keys.js";

export const patchKeyRoute = createRoute({
  method: "patch",
  path: "/admin/keys/{id}",
  summary: "Change a key's budget and limits; applies to the next submit",
  security: adminSecurity,
  request: { params: zKeyIdParam, body: { content: { "application/json": { schema: zKeyPatch } }, required: true } },
  responses: { 200: jsonContent(zKey, "The key as changed"), ...errorResponses(...adminRouteErrors, "invalid_request", "not_found") },
});

export function registerPatchKey(app: OpenAPIHono<AppEnv>): void {
  app.openapi(patchKeyRoute, async (c) => {
    const services = c.get("services");
    const patch = c.req.valid("json");
    if (patch.events_url) patch.events_url = await eventsDestination(services, patch.events_url);
    const row = await patchKey(services.db, c.req.valid("param").id, patch);
    forgetKey(row.id);
    return c.json(keyView(row), 200);
  });
}
