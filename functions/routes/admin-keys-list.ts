import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { adminRouteErrors, adminSecurity, errorResponses, jsonContent } from "../schemas/error.js";
import { zKey } from "../schemas/key.js";
import { keyView, listKeys } from "../services/keys.js";

export const listKeysRoute = createRoute({
  method: "get",
  path: "/admin/keys",
  summary: "List keys (never a secret)",
  security: adminSecurity,
  responses: { 200: jsonContent(z.object({ data: z.array(zKey) }), "Every key"), ...errorResponses(...adminRouteErrors) },
});

export function registerListKeys(app: OpenAPIHono<AppEnv>): void {
  app.openapi(listKeysRoute, async (c) => c.json({ data: (await listKeys(c.get("services").db)).map(keyView) }, 200));
}
