import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { EventRow } from "../../db/schema/index.js";
import type { AppEnv } from "../context.js";
import { invalidField } from "../errors.js";
import { listEvents } from "../ledger/index.js";
import { errorResponses, signedRouteErrors, signedSecurity } from "../schemas/error.js";
import { type Event, zEventList } from "../schemas/event.js";
import { zQueryInt } from "../schemas/execution.js";

export const listEventsRoute = createRoute({
  method: "get",
  path: "/v1/events",
  summary: "This key's events (execution webhooks, budget alerts), newest first, with how their delivery went",
  security: signedSecurity,
  request: {
    query: z.object({
      limit: zQueryInt(1, 100, "1–100, default 20"),
      cursor: z
        .string()
        .regex(/^[A-Za-z0-9_-]{8,200}$/, "must be a next_cursor from an earlier page")
        .optional(),
    }),
  },
  responses: {
    200: { description: "A page of events", content: { "application/json": { schema: zEventList } } },
    ...errorResponses(...signedRouteErrors, "invalid_request"),
  },
});

export function registerListEvents(app: OpenAPIHono<AppEnv>): void {
  app.openapi(listEventsRoute, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = cursor === undefined ? undefined : readCursor(cursor);
    if (cursor !== undefined && !after) throw invalidField("cursor", "must be a next_cursor from an earlier page");
    const page = await listEvents(c.get("services"), c.get("key").id, { limit: limit ?? 20, cursor: after });
    return c.json({ data: page.rows.map(eventView), next_cursor: page.next ? writeCursor(page.next) : null }, 200);
  });
}

function eventView(row: EventRow): Event {
  return {
    id: row.id,
    type: row.type,
    created_at: row.createdAt.toISOString(),
    data: row.executionId ? { execution_id: row.executionId } : (row.data ?? {}),
    delivery: { status: row.status, attempts: row.attempts },
  };
}

/** A page's end as the caller sees it: its time and id, opaque. */
function writeCursor(at: { createdAt: Date; id: string }): string {
  return btoa(`${at.createdAt.toISOString()}|${at.id}`).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

function readCursor(cursor: string): { createdAt: Date; id: string } | undefined {
  try {
    const [at, id] = atob(cursor.replaceAll("-", "+").replaceAll("_", "/")).split("|");
    const createdAt = new Date(at ?? "");
    if (!id || Number.isNaN(createdAt.getTime())) return undefined;
    return { createdAt, id };
  } catch {
    return undefined;
  }
}
