import type { MiddlewareHandler } from "hono";
import { buildServices } from "../build-services.js";
import type { AppEnv } from "../context.js";

/** Builds the request's services and closes its database client once the response is out. */
export const withServices: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { services, close } = await buildServices(c.env);
  c.set("services", services);
  try {
    await next();
  } finally {
    c.executionCtx.waitUntil(close());
  }
};
