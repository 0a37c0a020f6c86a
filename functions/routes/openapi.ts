import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";

/** `/openapi.json`: OpenAPI 3.1 generated from the same schemas that validate requests. */
export function registerOpenApi(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "RunledgerKey", { type: "apiKey", in: "header", name: "X-Runledger-Key" });
  app.openAPIRegistry.registerComponent("securitySchemes", "RunledgerTimestamp", {
    type: "apiKey",
    in: "header",
    name: "X-Runledger-Timestamp",
    description: "Unix seconds, optionally with milliseconds (1795342245.123); within 300 s of the server clock",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "RunledgerSignature", {
    type: "apiKey",
    in: "header",
    name: "X-Runledger-Signature",
    description:
      "v1=<lowercase hex HMAC-SHA256 of `{timestamp}\\n{METHOD}\\n{path-and-query}\\n{hex sha256 of body}`, keyed with the key secret>",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "AdminToken", { type: "http", scheme: "bearer" });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "runledger", version: "1.0.0", description: "Run untrusted code on demand, with a ledger of what it cost." },
  });
}
