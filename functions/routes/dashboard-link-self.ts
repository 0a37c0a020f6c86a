import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { dashboardLinkBody, zDashboardLink } from "../schemas/dashboard.js";
import { errorResponses, jsonContent, signedRouteErrors, signedSecurity } from "../schemas/error.js";
import { issueDashboardLink } from "../services/dashboard-link.js";

export const selfDashboardLinkRoute = createRoute({
  method: "post",
  path: "/v1/dashboard-link",
  summary: "A short-lived signed link to this key's own cost dashboard (15 min by default, at most 24 h)",
  security: signedSecurity,
  request: { body: dashboardLinkBody },
  responses: {
    200: jsonContent(zDashboardLink, "The link; anyone holding it sees this key's costs until it expires"),
    ...errorResponses(...signedRouteErrors, "invalid_request"),
  },
});

export function registerSelfDashboardLink(app: OpenAPIHono<AppEnv>): void {
  app.openapi(selfDashboardLinkRoute, async (c) => {
    const { config, clock } = c.get("services");
    const { expires_in } = c.req.valid("json");
    const link = await issueDashboardLink(
      config.SECRET_ENCRYPTION_KEY,
      c.get("key").id,
      new URL(c.req.url).origin,
      clock.now(),
      expires_in,
    );
    return c.json(link, 200);
  });
}
