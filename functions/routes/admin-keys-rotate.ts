import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { adminRouteErrors, adminSecurity, errorResponses, jsonContent } from "../schemas/error.js";
import { zKeyIdParam, zRotated } from "../schemas/key.js";
import { forgetKey } from "../services/key-cache.js";
import { rotateKey } from "../services/keys.js";

export const rotateKeyRoute = createRoute({
  method: "post",
  path: "/admin/keys/{id}/rotate",
  summary: "New secret; the previous one keeps working for 24 hours",
  security: adminSecurity,
  request: { params: zKeyIdParam },
  responses: { 200: jsonContent(zRotated, "The new secret"), ...errorResponses(...adminRouteErrors, "not_found", "key_revoked") },
});

export function registerRotateKey(app: OpenAPIHono<AppEnv>): void {
  app.openapi(rotateKeyRoute, async (c) => {
    const { db, secrets, clock } = c.get("services");
    const id = c.req.valid("param").id;
    const rotated = await rotateKey(db, secrets, id, clock);
    forgetKey(id);
    return c.json(rotated, 200);
  });
}
