import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.js";
import { newRequestId } from "../ids.js";

/** Every response carries `X-Request-Id`, the same value as an error's `request_id`. */
export const requestId: MiddlewareHandler<AppEnv> = async (c, next) => {
  const id = newRequestId();
  c.set("requestId", id);
  await next();
  c.res.headers.set("X-Request-Id", id);
};
