import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { idPattern } from "../ids.js";
import { verifyDashboardLink } from "../services/dashboard-link.js";
import { findKey } from "../services/keys.js";
import { htmlResponses, refusal, showDashboard } from "./dashboard-respond.js";

const KEY_ID = idPattern("key");

const TITLES = {
  malformed: "This link is incomplete",
  bad_signature: "This link is not valid",
  expired: "This link has expired",
  too_long: "This link is not valid",
} as const;

/**
 * `GET /dashboard/{key_id}?expires=&sig=[&from=&to=]`: a key's cost dashboard behind a signed,
 * short-lived link. The signature is checked before the key is looked up, so a link reveals
 * nothing about keys it was not made for.
 */
export function registerDashboardView(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/dashboard/{key_id}",
    summary: "A key's cost dashboard (HTML), opened with a signed link from a dashboard-link route",
    request: {
      params: z.object({ key_id: z.string().openapi({ param: { name: "key_id", in: "path" }, example: "key_k7r2m4q9x1v8c3n6b5t0z2wa" }) }),
      query: z.object({
        expires: z.string().openapi({ description: "unix seconds when the link stops working (part of the signed link)" }),
        sig: z.string().openapi({ description: "64 hex chars, HMAC-SHA256 over the key id and expires (part of the signed link)" }),
        from: z.string().optional().openapi({ description: "first UTC day, YYYY-MM-DD (default: 29 days before `to`)" }),
        to: z.string().optional().openapi({ description: "last UTC day, inclusive, YYYY-MM-DD (default: today)" }),
      }),
    },
    responses: htmlResponses({
      200: "The dashboard",
      400: "`invalid_request`: a range that is not dates, `from` after `to`, or over 366 days",
      401: "`unauthorized`: the link is incomplete, altered, expired, or longer-lived than 24 h",
      403: "`key_revoked`",
      404: "`not_found`: a correctly signed link to a key that does not exist",
    }),
  });
  app.get("/dashboard/:keyId", async (c) => {
    const keyId = c.req.param("keyId");
    const { config, clock, db } = c.get("services");
    const expires = c.req.query("expires");
    const sig = c.req.query("sig");
    const check = KEY_ID.test(keyId)
      ? await verifyDashboardLink(config.SECRET_ENCRYPTION_KEY, keyId, expires, sig, clock.now())
      : ({ ok: false, reason: "malformed", message: "This link does not name a key." } as const);
    if (!check.ok) return refusal(c, 401, "unauthorized", TITLES[check.reason], check.message);
    const key = await findKey(db, keyId);
    if (!key) return refusal(c, 404, "not_found", "No such key", `There is no key ${keyId}.`);
    return showDashboard(c, key, { path: `/dashboard/${keyId}`, expires: Number(expires), sig: sig ?? "" });
  });
}
