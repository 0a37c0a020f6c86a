import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { adminRouteErrors, adminSecurity, errorResponses, jsonContent } from "../schemas/error.js";
import { zKeyCreate, zKeyWithSecrets } from "../schemas/key.js";
import { createKey, eventsDestination } from "../services/keys.js";

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
    const services = c.get("services");
    const input = c.req.valid("json");
    if (input.events_url) input.events_url = await eventsDestination(services, input.events_url);
    return c.json(await createKey(services.db, services.secrets, input, services.clock), 201);
  });
}
