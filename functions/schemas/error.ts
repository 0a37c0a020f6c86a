import { z } from "@hono/zod-openapi";
import { type ErrorCode, errorStatus } from "../errors.js";

export const zError = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      request_id: z.string(),
      details: z.unknown().optional().openapi({
        description:
          "`invalid_request`: a list of `{field, message}`; `budget_exceeded`: `{limit_usd, spent_usd, reserved_usd, required_usd}`",
      }),
    }),
  })
  .openapi("Error");

const EXAMPLE_MESSAGES: Record<ErrorCode, string> = {
  invalid_request: "the request does not match the schema",
  invalid_json: "the body is not valid JSON",
  unauthorized: "the request signature does not verify",
  timestamp_out_of_range: "the timestamp is more than 300 s from the server clock",
  replayed_request: "this signature was already used",
  budget_exceeded: "the budget does not cover this execution's reserve",
  key_revoked: "this key has been revoked",
  template_not_allowed: "this key may not use that template",
  internet_not_allowed: "this key's runs may not reach the internet",
  not_found: "no such resource",
  idempotency_conflict: "this Idempotency-Key was used with another body",
  execution_finished: "the execution has already finished",
  payload_too_large: "the body must be at most 1048576 bytes",
  unsupported_media_type: "send the body as application/json",
  concurrency_limit: "this key has max_concurrency executions queued or running",
  internal: "an internal error occurred; quote the request id when reporting it",
  unavailable: "the database is not answering; try again shortly",
};

const EXAMPLE_DETAILS: Partial<Record<ErrorCode, unknown>> = {
  invalid_request: [{ field: "timeout_ms", message: "must be at most 300000 for this key" }],
  budget_exceeded: { limit_usd: "25.000000", spent_usd: "24.998000", reserved_usd: "0.001147", required_usd: "0.001147" },
};

/** `X-Request-Id` is on every response; `Retry-After` on the statuses that ask the caller to wait. */
export const requestIdHeader = {
  "X-Request-Id": { description: "The request's id, the same as an error's `request_id`", schema: { type: "string" as const } },
};
const retryAfterHeader = {
  "Retry-After": { description: "Seconds to wait before trying again", schema: { type: "integer" as const } },
};

/**
 * OpenAPI responses for the errors a route can answer, grouped by status: each status lists its
 * codes in the description and has one example per code, named by the code.
 */
export function errorResponses(...codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) byStatus.set(errorStatus[code], [...(byStatus.get(errorStatus[code]) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      status,
      {
        description: list.map((code) => `\`${code}\``).join(", "),
        headers: status === 429 || status === 503 ? { ...requestIdHeader, ...retryAfterHeader } : requestIdHeader,
        content: {
          "application/json": {
            schema: zError,
            examples: Object.fromEntries(
              list.map((code) => [
                code,
                {
                  summary: code,
                  value: {
                    error: {
                      code,
                      message: EXAMPLE_MESSAGES[code],
                      request_id: "req_01jd8k2m3n4p5q6r7s8t9v0w1x",
                      ...(EXAMPLE_DETAILS[code] === undefined ? {} : { details: EXAMPLE_DETAILS[code] }),
                    },
                  },
                },
              ]),
            ),
          },
        },
      },
    ]),
  );
}

/** Errors every admin route can answer (request headers over 16 KiB in all are `invalid_request`). */
export const adminRouteErrors = [
  "unauthorized",
  "invalid_request",
  "invalid_json",
  "payload_too_large",
  "unsupported_media_type",
  "internal",
  "unavailable",
] as const satisfies readonly ErrorCode[];

/** Errors every signed route can answer: the admin ones and the signature rules (README, "Calling it"). */
export const signedRouteErrors = [
  ...adminRouteErrors,
  "timestamp_out_of_range",
  "replayed_request",
  "key_revoked",
] as const satisfies readonly ErrorCode[];

export const signedSecurity = [{ RunledgerKey: [], RunledgerTimestamp: [], RunledgerSignature: [] }];
export const adminSecurity = [{ AdminToken: [] }];

/** An OpenAPI response with a JSON body. */
export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}
