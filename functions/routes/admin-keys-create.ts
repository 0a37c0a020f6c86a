import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { adminRouteErrors, adminSecurity, errorResponses, jsonContent } from "../schemas/error.js";
import { zKeyCreate, zKeyWithSecrets } from "../schemas/key.js";
import { createKey } from "../services/keys.js";

export const createKeyRoute = createRoute({
  method: "post",
  path: "/admin/keys",
  summary: "Create an API key (its secrets are shown only here)",
  security: adminSecurity,
  request: { body: { content: { "application/json": { schema: zKeyCreate } }, required: true } },
  responses: {
    201: jsonContent(zKeyWithSecrets, "The new key with its secret and webhook secret"),
    ...errorResponses(...adminRouteErrors, "invalid_request"),
  },
});

export function registerCreateKey(app: OpenAPIHono<AppEnv>): void {
  app.openapi(createKeyRoute, async (c) => {
    const { db, secrets, clock } = c.get("services");
    return c.json(await createKey(db, secrets, c.req.valid("json"), clock), 201);
  });
}
