import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./context.js";
import { ConfigError } from "./env.js";
import { ApiError, type ErrorCode, errorStatus } from "./errors.js";
import { describeForLog } from "./log.js";
import { adminAuth } from "./middleware/admin-auth.js";
import { bodyLimits, dropUnreadBody } from "./middleware/body-limits.js";
import { requestId } from "./middleware/request-id.js";
import { withServices } from "./middleware/services.js";
import { settleSignature, verifySignature } from "./middleware/signature.js";
import { isTransientDatabaseError } from "./retry.js";
import { registerGetAdminCosts } from "./routes/admin-costs-get.js";
import { registerCreateKey } from "./routes/admin-keys-create.js";
import { registerGetKey } from "./routes/admin-keys-get.js";
import { registerListKeys } from "./routes/admin-keys-list.js";
import { registerPatchKey } from "./routes/admin-keys-patch.js";
import { registerRevokeKey } from "./routes/admin-keys-revoke.js";
import { registerRotateKey } from "./routes/admin-keys-rotate.js";
import { registerGetBudget } from "./routes/budget-get.js";
import { registerGetCosts } from "./routes/costs-get.js";
import { registerAdminDashboardLink } from "./routes/dashboard-link-admin.js";
import { registerSelfDashboardLink } from "./routes/dashboard-link-self.js";
import { registerDashboardSignIn } from "./routes/dashboard-sign-in.js";
import { registerDashboardExecution, registerDashboardView } from "./routes/dashboard-view.js";
import { registerDocs } from "./routes/docs.js";
import { registerListEvents } from "./routes/events-list.js";
import { registerCancelExecution } from "./routes/executions-cancel.js";
import { registerCreateExecution } from "./routes/executions-create.js";
import { registerListDeliveries } from "./routes/executions-deliveries.js";
import { registerExecutionEvents } from "./routes/executions-events.js";
import { registerGetExecution } from "./routes/executions-get.js";
import { registerListExecutions } from "./routes/executions-list.js";
import { registerRedeliver } from "./routes/executions-redeliver.js";
import { registerHealthz } from "./routes/healthz.js";
import { registerLivez } from "./routes/livez.js";
import { registerOpenApi } from "./routes/openapi.js";

/** The whole HTTP API: middleware in contract order, then one route per operation. */
export function newApp(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const details = result.error.issues.map((issue) => ({ field: issue.path.join(".") || "(body)", message: issue.message }));
        throw new ApiError("invalid_request", "the request does not match the schema", details);
      }
    },
  });
  app.use("*", requestId, dropUnreadBody);
  app.use("/v1/*", bodyLimits, withServices, verifySignature);
  app.use("/admin/*", bodyLimits, withServices, adminAuth);
  app.use("/healthz", withServices);
  app.use("/dashboard/*", withServices); // also matches /dashboard itself

  registerCreateExecution(app);
  registerListExecutions(app);
  registerGetExecution(app);
  registerExecutionEvents(app);
  registerCancelExecution(app);
  registerListDeliveries(app);
  registerRedeliver(app);
  registerListEvents(app);
  registerGetBudget(app);
  registerGetCosts(app);
  registerCreateKey(app);
  registerListKeys(app);
  registerGetKey(app);
  registerPatchKey(app);
  registerRotateKey(app);
  registerRevokeKey(app);
  registerGetAdminCosts(app);
  registerSelfDashboardLink(app);
  registerAdminDashboardLink(app);
  registerDashboardSignIn(app);
  registerDashboardView(app);
  registerDashboardExecution(app);
  registerHealthz(app);
  registerLivez(app);
  registerOpenApi(app);
  registerDocs(app);

  app.notFound((c) => errorResponse(c, new ApiError("not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`)));
  // A refusal of a submit whose signature is not recorded yet records it first: a replay or a revoked key answers before.
  app.onError(async (error, c) => errorResponse(c, await settleSignature(c, toApiError(error, c.get("requestId")))));
  return app;
}

function errorResponse(c: Context<AppEnv>, error: ApiError): Response {
  const body = {
    error: {
      code: error.code,
      message: error.message,
      request_id: c.get("requestId"),
      ...(error.details === undefined ? {} : { details: error.details }),
    },
  };
  return c.json(body, error.status, error.headers);
}

/** Every failure becomes one of the API's documented errors (README, "Routes"); only the platform's own failures are 5xx. */
function toApiError(error: unknown, requestId: string): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) {
    if (error.status === 400) return new ApiError("invalid_json", "the body is not valid JSON");
    const code = (Object.keys(errorStatus) as ErrorCode[]).find((k) => errorStatus[k] === error.status) ?? "internal";
    return new ApiError(code, error.message);
  }
  if (error instanceof ConfigError) return new ApiError("internal", error.message);
  if (isTransientDatabaseError(error)) {
    return new ApiError("unavailable", "the database is not answering; try again shortly", undefined, { "Retry-After": "5" });
  }
  console.error(`request ${requestId} failed: ${describeForLog(error)}`);
  return new ApiError("internal", "an internal error occurred; quote the request id when reporting it");
}
