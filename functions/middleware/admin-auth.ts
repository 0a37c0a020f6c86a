import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.js";
import { ApiError } from "../errors.js";
import { constantTimeEqualText } from "../services/signing.js";
import { assertJson } from "./body-limits.js";

/** Whether `token` is the admin token, compared in constant time. */
export function isAdminToken(c: Context<AppEnv>, token: string): boolean {
  return token !== "" && constantTimeEqualText(token, c.get("services").config.ADMIN_TOKEN);
}

/** The token of an `Authorization: Bearer …` header, or "". */
export function bearerToken(header: string | undefined): string {
  return header?.startsWith("Bearer ") ? header.slice(7) : "";
}

/** Admin routes: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
export const adminAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearerToken(c.req.header("authorization"));
  if (!token) throw new ApiError("unauthorized", "send Authorization: Bearer <admin token>");
  if (!isAdminToken(c, token)) throw new ApiError("unauthorized", "the bearer token is not this deployment's admin token");
  assertJson(c.get("rawBody"), c.req.url);
  await next();
};
