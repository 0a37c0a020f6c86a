import { z } from "@hono/zod-openapi";
import { DEFAULT_LINK_SECONDS, MAX_LINK_SECONDS } from "../services/dashboard-link.js";

export const zDashboardLinkRequest = z
  .strictObject({
    expires_in: z
      .number()
      .int()
      .min(60)
      .max(MAX_LINK_SECONDS)
      .optional()
      .openapi({ description: `seconds the link works, 60–${MAX_LINK_SECONDS} (default ${DEFAULT_LINK_SECONDS})` }),
  })
  .openapi("DashboardLinkRequest");

export const zDashboardLink = z
  .object({
    url: z
      .string()
      .openapi({ example: "https://runledger.example.com/dashboard/key_k7r2m4q9x1v8c3n6b5t0z2wa?expires=1795343145&sig=3f1c…" }),
    expires_at: z.string().openapi({ example: "2026-11-22T10:25:45.000Z" }),
  })
  .openapi("DashboardLink");

export type DashboardLinkResponse = z.infer<typeof zDashboardLink>;

/** The request body of both link routes: optional, and may be left out entirely. */
export const dashboardLinkBody = { content: { "application/json": { schema: zDashboardLinkRequest } }, required: false };
