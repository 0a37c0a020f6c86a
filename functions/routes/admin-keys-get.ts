import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { adminRouteErrors, adminSecurity, errorResponses, jsonContent } from "../schemas/error.js";
import { zKey, zKeyIdParam } from "../schemas/key.js";
import { getKey, keyView } from "../services/keys.js";

export const getKeyRoute = createRoute({
  method: "get",
  path: "/admin/keys/{id}",
  summary: "One key (never a secret)",
  security: adminSecurity,
  request: { params: zKeyIdParam },
  responses: { 200: jsonContent(zKey, "The key"), ...errorResponses(...adminRouteErrors, "not_found") },
});

export function registerGetKey(app: OpenAPIHono<AppEnv>): void {
  app.openapi(getKeyRoute, async (c) => c.json(keyView(await getKey(c.get("services").db, c.req.valid("param").id)), 200));
}
