import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { ApiError } from "../errors.js";
import { idPattern } from "../ids.js";
import { attemptsOf, completedEventOf, getExecution } from "../ledger/index.js";
import { verifyDashboardLink } from "../services/dashboard-link.js";
import { executionView } from "../services/execution-view.js";
import { findKey } from "../services/keys.js";
import { ExecutionPage } from "../views/dashboard/execution-page.js";
import { htmlResponses, page, refusal, showDashboard } from "./dashboard-respond.js";

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

/**
 * `GET /dashboard/{key_id}/executions/{id}?expires=&sig=`: one execution of the key behind the same signed
 * link: output, cost, tags and webhook deliveries.
 */
export function registerDashboardExecution(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/dashboard/{key_id}/executions/{id}",
    summary: "One execution of a key's dashboard (HTML): output, cost, tags and webhook deliveries; the dashboard's signed link opens it",
    request: {
      params: z.object({
        key_id: z.string().openapi({ param: { name: "key_id", in: "path" }, example: "key_k7r2m4q9x1v8c3n6b5t0z2wa" }),
        id: z.string().openapi({ param: { name: "id", in: "path" }, example: "exe_01jd8k2m3n4p5q6r7s8t9v0w1x" }),
      }),
      query: z.object({
        expires: z.string().openapi({ description: "as in the dashboard's link" }),
        sig: z.string().openapi({ description: "as in the dashboard's link" }),
      }),
    },
    responses: htmlResponses({
      200: "The execution",
      401: "`unauthorized`: the link is incomplete, altered, expired, or longer-lived than 24 h",
      403: "`key_revoked`",
      404: "`not_found`: no such key, or no such execution of this key",
    }),
  });
  app.get("/dashboard/:keyId/executions/:id", async (c) => {
    const keyId = c.req.param("keyId");
    const services = c.get("services");
    const expires = c.req.query("expires");
    const sig = c.req.query("sig");
    const check = KEY_ID.test(keyId)
      ? await verifyDashboardLink(services.config.SECRET_ENCRYPTION_KEY, keyId, expires, sig, services.clock.now())
      : ({ ok: false, reason: "malformed", message: "This link does not name a key." } as const);
    if (!check.ok) return refusal(c, 401, "unauthorized", TITLES[check.reason], check.message);
    const key = await findKey(services.db, keyId);
    if (!key) return refusal(c, 404, "not_found", "No such key", `There is no key ${keyId}.`);
    if (key.revokedAt) return refusal(c, 403, "key_revoked", "This key has been revoked", "A revoked key has no dashboard.");
    const id = c.req.param("id");
    let record: Awaited<ReturnType<typeof getExecution>>;
    try {
      record = await getExecution(services, key.id, id);
    } catch (error) {
      if (error instanceof ApiError && error.code === "not_found")
        return refusal(c, 404, "not_found", "No such execution", `This key has no execution ${id}.`);
      throw error;
    }
    const event = await completedEventOf(services, record.id);
    const attempts = event ? await attemptsOf(services, event.id) : [];
    const deliveries = attempts.map((r) => ({
      attempt: r.attempt,
      at: r.at.toISOString(),
      status_code: r.statusCode,
      error: r.error,
      duration_ms: r.durationMs,
    }));
    const back = `/dashboard/${key.id}?expires=${expires}&sig=${sig}`;
    return page(c, <ExecutionPage execution={executionView(record)} deliveries={deliveries} back={back} />);
  });
}
