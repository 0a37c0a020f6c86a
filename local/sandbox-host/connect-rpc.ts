import type { ServerResponse } from "node:http";
import { HttpError, sendJson } from "./http.js";
import type { AgentEvent, Sandbox } from "./sandbox.js";

/** The flag of the last message of a Connect stream. */
export const END_STREAM = 0x02;

/** HTTP statuses of Connect's error codes, for unary calls. */
const STATUS: Record<string, number> = {
  invalid_argument: 400,
  failed_precondition: 400,
  permission_denied: 403,
  not_found: 404,
  already_exists: 409,
  resource_exhausted: 429,
  unimplemented: 501,
  unavailable: 503,
};

/** One message of a Connect stream: a flags byte, its length, then its JSON. */
export function frame(message: unknown, flags = 0): Buffer {
  const json = Buffer.from(JSON.stringify(message));
  const header = Buffer.alloc(5);
  header.writeUInt8(flags, 0);
  header.writeUInt32BE(json.length, 1);
  return Buffer.concat([header, json]);
}

/** The JSON of the single message of a Connect streaming request. */
export function firstMessage<T>(body: Buffer): T {
  if (body.length < 5 || (body.readUInt8(0) & 0x01) !== 0) throw new HttpError(400, "expected one uncompressed Connect envelope");
  return JSON.parse(body.subarray(5, 5 + body.readUInt32BE(1)).toString()) as T;
}

/** A Connect unary error: its status and `{code, message}`. */
export function sendConnectError(res: ServerResponse, code: string, message: string): void {
  sendJson(res, STATUS[code] ?? 500, { code, message });
}

/** Sends one request to the supervisor and waits for its single answer. */
export function ask(sandbox: Sandbox, op: string, fields: Record<string, unknown>): Promise<AgentEvent> {
  return new Promise((resolve) => {
    const id = sandbox.request(op, fields, (event) => {
      sandbox.stopListening(id);
      resolve(event);
    });
  });
}
