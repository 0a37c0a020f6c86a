import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { adminRouteErrors, adminSecurity, errorResponses } from "../schemas/error.js";
import { zKey, zKeyCreate, zKeyIdParam, zKeyPatch, zKeyWithSecrets, zRotated } from "../schemas/key.js";
import { createKey, getKey, keyView, listKeys, patchKey, revokeKey, rotateKey } from "../services/keys.js";
import { scheduleDelivery } from "../services/webhook-delivery.js";

// The admin key routes: one operation each, all behind ADMIN_TOKEN.
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });

export const createKeyRoute = createRoute({
  method: "post",
  path: "/admin/keys",
  summary: "Create an API key (its secrets are shown only here)",
  security: adminSecurity,
  request: { body: { content: { "application/json": { schema: zKeyCreate } }, required: true } },
  responses: {
    201: json(zKeyWithSecrets, "The new key with its secret and webhook secret"),
    ...errorResponses(...adminRouteErrors, "invalid_request"),
  },
});

export const listKeysRoute = createRoute({
  method: "get",
  path: "/admin/keys",
  summary: "List keys (never a secret)",
  security: adminSecurity,
  responses: { 200: json(z.object({ data: z.array(zKey) }), "Every key"), ...errorResponses(...adminRouteErrors) },
});

export const getKeyRoute = createRoute({
  method: "get",
  path: "/admin/keys/{id}",
  summary: "One key (never a secret)",
  security: adminSecurity,
  request: { params: zKeyIdParam },
  responses: { 200: json(zKey, "The key"), ...errorResponses(...adminRouteErrors, "not_found") },
});

export const patchKeyRoute = createRoute({
  method: "patch",
  path: "/admin/keys/{id}",
  summary: "Change a key's budget and limits; applies to the next submit",
  security: adminSecurity,
  request: { params: zKeyIdParam, body: { content: { "application/json": { schema: zKeyPatch } }, required: true } },
  responses: { 200: json(zKey, "The key as changed"), ...errorResponses(...adminRouteErrors, "invalid_request", "not_found") },
});

export const rotateKeyRoute = createRoute({
  method: "post",
  path: "/admin/keys/{id}/rotate",
  summary: "New secret; the previous one keeps working for 24 hours",
  security: adminSecurity,
  request: { params: zKeyIdParam },
  responses: { 200: json(zRotated, "The new secret"), ...errorResponses(...adminRouteErrors, "not_found", "key_revoked") },
});

export const revokeKeyRoute = createRoute({
  method: "delete",
  path: "/admin/keys/{id}",
  summary: "Revoke a key: its queued executions are canceled and their reservations released",
  security: adminSecurity,
  request: { params: zKeyIdParam },
  responses: { 200: json(zKey, "The key, with revoked_at"), ...errorResponses(...adminRouteErrors, "not_found") },
});

export function registerAdminKeys(app: OpenAPIHono<AppEnv>): void {
  app.openapi(createKeyRoute, async (c) => {
    const { db, secrets, clock } = c.get("services");
    return c.json(await createKey(db, secrets, c.req.valid("json"), clock), 201);
  });
  app.openapi(listKeysRoute, async (c) => c.json({ data: (await listKeys(c.get("services").db)).map(keyView) }, 200));
  app.openapi(getKeyRoute, async (c) => c.json(keyView(await getKey(c.get("services").db, c.req.valid("param").id)), 200));
  app.openapi(patchKeyRoute, async (c) =>
    c.json(keyView(await patchKey(c.get("services").db, c.req.valid("param").id, c.req.valid("json"))), 200),
  );
  app.openapi(rotateKeyRoute, async (c) => {
    const { db, secrets, clock } = c.get("services");
    return c.json(await rotateKey(db, secrets, c.req.valid("param").id, clock), 200);
  });
  app.openapi(revokeKeyRoute, async (c) => {
    const { db, clock, deliveries } = c.get("services");
    const { key, canceled } = await revokeKey(db, c.req.valid("param").id, clock);
    for (const execution of canceled) if (execution.webhookUrl) await scheduleDelivery(db, deliveries, execution.id, clock.now());
    return c.json(keyView(key), 200);
  });
}
