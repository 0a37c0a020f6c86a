/** Every error code of the public contract, with its HTTP status. */
export const errorStatus = {
  invalid_request: 400,
  invalid_json: 400,
  unauthorized: 401,
  timestamp_out_of_range: 401,
  replayed_request: 401,
  budget_exceeded: 402,
  key_revoked: 403,
  template_not_allowed: 403,
  internet_not_allowed: 403,
  not_found: 404,
  idempotency_conflict: 409,
  execution_finished: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  concurrency_limit: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

/** The one error type: services throw it, the route layer turns it into the JSON envelope. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  get status(): (typeof errorStatus)[ErrorCode] {
    return errorStatus[this.code];
  }
}

/** A schema failure of one field, in the same shape as the validator's. */
export function invalidField(field: string, message: string): ApiError {
  return new ApiError("invalid_request", "the request does not match the schema", [{ field, message }]);
}

/** Said the same wherever the check is made. */
export const REPLAYED_MESSAGE =
  "this signature was already used; sign each request afresh (use the millisecond timestamp form to send more than one a second)";
export const INTERNET_MESSAGE = "this key's runs may not reach the internet; send internet: false, or leave it out";
