import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";

export const livezRoute = createRoute({
  method: "get",
  path: "/livez",
  summary: "Liveness of the Worker alone: the database is not touched (so a monitor does not keep it awake)",
  responses: {
    200: { description: "Up", content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } } },
  },
});

export function registerLivez(app: OpenAPIHono<AppEnv>): void {
  app.openapi(livezRoute, (c) => c.json({ status: "ok" as const }, 200));
}
