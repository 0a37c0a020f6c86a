import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { ApiError } from "../errors.js";
import { dashboardLinkBody, zDashboardLink } from "../schemas/dashboard.js";
import { adminRouteErrors, adminSecurity, errorResponses, jsonContent } from "../schemas/error.js";
import { zKeyIdParam } from "../schemas/key.js";
import { issueDashboardLink } from "../services/dashboard-link.js";
import { getKey } from "../services/keys.js";

export const adminDashboardLinkRoute = createRoute({
  method: "post",
  path: "/admin/keys/{id}/dashboard-link",
  summary: "A short-lived signed link to this key's cost dashboard (15 min by default, at most 24 h)",
  security: adminSecurity,
  request: { params: zKeyIdParam, body: dashboardLinkBody },
  responses: {
    200: jsonContent(zDashboardLink, "The link; anyone holding it sees the key's costs until it expires"),
    ...errorResponses(...adminRouteErrors, "invalid_request", "not_found", "key_revoked"),
  },
});

export function registerAdminDashboardLink(app: OpenAPIHono<AppEnv>): void {
  app.openapi(adminDashboardLinkRoute, async (c) => {
    const { db, config, clock } = c.get("services");
    const key = await getKey(db, c.req.valid("param").id);
    if (key.revokedAt) throw new ApiError("key_revoked", "a revoked key has no dashboard");
    const { expires_in } = c.req.valid("json");
    return c.json(await issueDashboardLink(config.SECRET_ENCRYPTION_KEY, key.id, new URL(c.req.url).origin, clock.now(), expires_in), 200);
  });
}
