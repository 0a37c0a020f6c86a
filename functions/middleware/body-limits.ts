import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.js";
import { ApiError } from "../errors.js";
import { findUnsafeText } from "../text.js";

export const MAX_BODY_BYTES = 1024 * 1024;
/** Request headers, all together: generous for signatures and idempotency keys, small for abuse. */
export const MAX_HEADER_BYTES = 16 * 1024;

/**
 * Refuses what must not be parsed, before anything else: oversized headers (400), a body that is
 * not JSON (415) or is over 1 MiB (413, decided from Content-Length when sent, else while
 * reading). Keeps the raw bytes; what is left of a refused body is dropped by `dropUnreadBody`.
 */
export const bodyLimits: MiddlewareHandler<AppEnv> = async (c, next) => {
  const declared = c.req.header("content-length");
  const hasBody = (declared !== undefined && declared !== "0") || c.req.header("transfer-encoding") !== undefined;
  if (hasBody) {
    const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
    if (type !== "application/json") throw new ApiError("unsupported_media_type", "send the body as application/json");
    if (declared !== undefined && Number(declared) > MAX_BODY_BYTES)
      throw new ApiError("payload_too_large", `the body must be at most ${MAX_BODY_BYTES} bytes`);
  }
  let headerBytes = 0;
  c.req.raw.headers.forEach((value, name) => {
    headerBytes += name.length + value.length + 4;
  });
  if (headerBytes > MAX_HEADER_BYTES) {
    throw new ApiError("invalid_request", `request headers must be at most ${MAX_HEADER_BYTES} bytes in all`, [
      { field: "headers", message: "too large" },
    ]);
  }
  const body = hasBody ? await readCapped(c.req.raw) : new Uint8Array();
  c.set("rawBody", body);
  // Later readers (the JSON validator) parse these same bytes.
  // Hono keeps promises in this cache, though its type says otherwise.
  c.req.bodyCache.arrayBuffer = Promise.resolve(body.buffer) as unknown as ArrayBuffer;
  await next();
};

async function readCapped(request: Request): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_BODY_BYTES) {
      // Read to its end, so that the 413 reaches the caller (see dropUnreadBody).
      await drain(reader);
      throw new ApiError("payload_too_large", `the body must be at most ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return body;
}

/** Reads what is left of a body and drops it; a body that breaks off ends the reading, no more. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    for (;;) if ((await reader.read()).done) return;
  } catch {
    // the caller went away: there is no one left to answer
  }
}

/**
 * Every answer goes out once the request's body has been read to its end: the bytes no route read
 * (a refused body, a body on a route that takes none) are read and dropped first. A server that
 * answers and closes while the caller is still sending resets the connection, and most HTTP
 * clients then report the reset (ECONNRESET) instead of the answer: a 413 must arrive as a 413.
 * Cloudflare's edge bounds what can arrive (100 MB on the smaller plans); the local stack does not.
 */
export const dropUnreadBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  const request = c.req.raw;
  if (request.body && !request.bodyUsed) await drain(request.body.getReader());
};

/**
 * A body, when there is one, must be UTF-8 JSON, and no string of the request (in the body or
 * the query) may hold a NUL or a lone surrogate: checked once the caller is known.
 */
export function assertJson(body: Uint8Array, url: string): void {
  const query = Object.fromEntries(new URL(url).searchParams);
  const unsafeInQuery = findUnsafeText(query);
  if (unsafeInQuery) throw new ApiError("invalid_request", "the request does not match the schema", [unsafeInQuery]);
  if (body.length === 0) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body));
  } catch {
    throw new ApiError("invalid_json", "the body is not valid JSON");
  }
  const unsafe = findUnsafeText(parsed);
  if (unsafe) throw new ApiError("invalid_request", "the request does not match the schema", [unsafe]);
}
