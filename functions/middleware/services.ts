import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.js";
import { buildServices } from "../services.js";

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
