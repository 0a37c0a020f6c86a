import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { AppEnv } from "../context.js";
import { ApiError } from "../errors.js";
import { errorResponses } from "../schemas/error.js";

export const healthzRoute = createRoute({
  method: "get",
  path: "/healthz",
  summary: "Health, including the database (a query: it wakes a database that scaled to zero; /livez does not)",
  responses: {
    200: {
      description: "Up",
      content: { "application/json": { schema: z.object({ status: z.literal("ok"), database: z.literal("ok") }) } },
    },
    ...errorResponses("unavailable", "internal"),
  },
});

export function registerHealthz(app: OpenAPIHono<AppEnv>): void {
  app.openapi(healthzRoute, async (c) => {
    try {
      await c.get("services").db.execute(sql`select 1`);
    } catch {
      throw new ApiError("unavailable", "the database is not answering", undefined, { "Retry-After": "5" });
    }
    return c.json({ status: "ok" as const, database: "ok" as const }, 200);
  });
}
