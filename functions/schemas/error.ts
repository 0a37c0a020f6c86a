import { z } from "@hono/zod-openapi";
import { type ErrorCode, errorStatus } from "../errors.js";

export const zError = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      request_id: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi("Error");

/** OpenAPI responses for the errors a route can answer, grouped by status. */
export function errorResponses(...codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(errorStatus[code], [...(byStatus.get(errorStatus[code]) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [status, { description: list.join(", "), content: { "application/json": { schema: zError } } }]),
  );
}

/** Errors every admin route can answer. */
export const adminRouteErrors = [
  "unauthorized",
  "invalid_json",
  "payload_too_large",
  "unsupported_media_type",
  "internal",
  "unavailable",
] as const satisfies readonly ErrorCode[];

/** Errors every signed route can answer: the admin ones and the rest of contract §2. */
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
