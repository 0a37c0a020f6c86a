import type { Context } from "hono";
import type { KeyRow } from "../../db/schema/index.js";
import type { AppEnv } from "../context.js";
import { ApiError } from "../errors.js";
import { dashboardRange, loadDashboard } from "../services/dashboard-data.js";
import type { DashboardLink } from "../services/dashboard-link.js";
import { DashboardPage } from "../views/dashboard/dashboard-page.js";
import { renderPage } from "../views/dashboard/layout.js";
import { MessagePage } from "../views/dashboard/message-page.js";

/** Pages carry no scripts and load nothing from elsewhere; the policy says so to the browser too. */
const PAGE_HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "Cache-Control": "no-store",
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
};

export async function page(
  c: Context<AppEnv>,
  node: { toString(): string | Promise<string> },
  status: 200 | 400 | 401 | 403 | 404 | 413 = 200,
) {
  return c.html(await renderPage(node), status, PAGE_HEADERS);
}

/** A refusal as a page, with the API's error code and the request id. */
export function refusal(c: Context<AppEnv>, status: 400 | 401 | 403 | 404 | 413, code: string, title: string, message: string) {
  return page(c, <MessagePage status={status} code={code} title={title} message={message} requestId={c.get("requestId")} />, status);
}

/** The dashboard of `key` for the range in the query, with `link` carried by its range form. */
export async function showDashboard(c: Context<AppEnv>, key: KeyRow, link: DashboardLink) {
  if (key.revokedAt) return refusal(c, 403, "key_revoked", "This key has been revoked", "A revoked key has no dashboard.");
  const { db, clock } = c.get("services");
  const now = clock.now();
  let range: { from: string; to: string };
  try {
    range = dashboardRange({ from: c.req.query("from"), to: c.req.query("to") }, now);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const details = (error.details as Array<{ field: string; message: string }>).map((d) => `${d.field} ${d.message}`).join("; ");
    return refusal(c, 400, "invalid_request", "That range cannot be shown", `${details}.`);
  }
  const data = await loadDashboard(db, key, range, now);
  return page(c, <DashboardPage data={data} link={link} today={now.toISOString().slice(0, 10)} />);
}

/** OpenAPI responses of a page route: HTML, whatever the status. */
export function htmlResponses(statuses: Record<number, string>) {
  return Object.fromEntries(
    Object.entries(statuses).map(([status, description]) => [
      status,
      { description, content: { "text/html": { schema: { type: "string" as const } } } },
    ]),
  );
}
