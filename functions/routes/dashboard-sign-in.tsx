import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { idPattern } from "../ids.js";
import { bearerToken, isAdminToken } from "../middleware/admin-auth.js";
import { DEFAULT_LINK_SECONDS, linkQuery, signDashboardLink } from "../services/dashboard-link.js";
import { findKey } from "../services/keys.js";
import { SignInPage } from "../views/dashboard/message-page.js";
import { htmlResponses, page, refusal, showDashboard } from "./dashboard-respond.js";

const KEY_ID = idPattern("key");
const MAX_FORM_BYTES = 4096;

/**
 * The administrator's ways in. `GET /dashboard?key=…` with `Authorization: Bearer <admin token>`
 * renders that key's dashboard (for scripts); without the header it is a form asking for the key
 * and the token, which `POST /dashboard` answers with a redirect to a 15-minute signed link.
 */
export function registerDashboardSignIn(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/dashboard",
    summary: "With the admin token as a bearer and a key id, that key's dashboard (HTML); without it, a sign-in form",
    request: {
      query: z.object({
        key: z.string().optional().openapi({ description: "the key id, key_…" }),
        from: z.string().optional(),
        to: z.string().optional(),
      }),
    },
    responses: htmlResponses({
      200: "The dashboard, or the sign-in form",
      400: "`invalid_request`: a bad range",
      401: "`unauthorized`: a wrong admin token",
      403: "`key_revoked`",
      404: "`not_found`: no such key",
    }),
  });
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/dashboard",
    summary: "The sign-in form: key id and admin token in, a redirect to a 15-minute signed link out",
    request: {
      body: {
        content: { "application/x-www-form-urlencoded": { schema: z.object({ key: z.string(), token: z.string() }) } },
        required: true,
      },
    },
    responses: {
      303: { description: "To the key's signed dashboard link (`Location`)" },
      ...htmlResponses({ 401: "`unauthorized`: the form again", 404: "`not_found`: no such key", 413: "`payload_too_large`" }),
    },
  });

  app.get("/dashboard", async (c) => {
    const keyId = c.req.query("key") ?? "";
    const header = c.req.header("authorization");
    if (header === undefined) return page(c, <SignInPage keyId={KEY_ID.test(keyId) ? keyId : undefined} />);
    if (!isAdminToken(c, bearerToken(header))) {
      return refusal(c, 401, "unauthorized", "Wrong admin token", "Send Authorization: Bearer <admin token>.");
    }
    const { db, config, clock } = c.get("services");
    const key = KEY_ID.test(keyId) ? await findKey(db, keyId) : null;
    if (!key) return refusal(c, 404, "not_found", "No such key", "Name an existing key with ?key=key_….");
    // The page's range form needs a link of its own: browsers do not resend the bearer header.
    return showDashboard(c, key, await signDashboardLink(config.SECRET_ENCRYPTION_KEY, key.id, clock.now(), DEFAULT_LINK_SECONDS));
  });

  app.post("/dashboard", async (c) => {
    const length = c.req.header("content-length") ?? "";
    if (!/^\d+$/.test(length) || Number(length) > MAX_FORM_BYTES) {
      return refusal(c, 413, "payload_too_large", "Too much", `The form may carry at most ${MAX_FORM_BYTES} bytes.`);
    }
    const form = await c.req.parseBody();
    const keyId = typeof form.key === "string" ? form.key.trim() : "";
    const token = typeof form.token === "string" ? form.token : "";
    if (!isAdminToken(c, token)) {
      return page(c, <SignInPage keyId={KEY_ID.test(keyId) ? keyId : undefined} error="That admin token is not right." />, 401);
    }
    const { db, config, clock } = c.get("services");
    const key = KEY_ID.test(keyId) ? await findKey(db, keyId) : null;
    if (!key) return refusal(c, 404, "not_found", "No such key", `There is no key ${keyId || "(none given)"}.`);
    const link = await signDashboardLink(config.SECRET_ENCRYPTION_KEY, key.id, clock.now(), DEFAULT_LINK_SECONDS);
    return c.redirect(`${link.path}?${linkQuery(link)}`, 303);
  });
}
