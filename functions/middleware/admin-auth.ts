import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.js";
import { ApiError } from "../errors.js";
import { constantTimeEqualText } from "../services/signing.js";
import { assertJson } from "./body-limits.js";

/** Admin routes: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
export const adminAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const token = header.startsWith("Bearer ") ? header.slice(7) : "";
  if (!token || !constantTimeEqualText(token, c.get("services").config.ADMIN_TOKEN)) {
    throw new ApiError("unauthorized", "send Authorization: Bearer <admin token>");
  }
  assertJson(c.get("rawBody"));
  await next();
};
