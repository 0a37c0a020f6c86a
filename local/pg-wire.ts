import { createHash } from "node:crypto";

// Just enough of the Postgres wire protocol (v3) to frame messages and to authenticate, for the
// local connection pooler.

/** Splits complete messages (a type byte, then a length that counts itself) off a byte stream. */
export class MessageReader {
  private buffer: Buffer = Buffer.alloc(0);

  /** Adds bytes; returns every message now complete, each as its type and the whole message's bytes. */
  push(chunk: Buffer): Array<{ type: string; bytes: Buffer }> {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const messages: Array<{ type: string; bytes: Buffer }> = [];
    while (this.buffer.length >= 5) {
      const length = this.buffer.readInt32BE(1) + 1;
      if (this.buffer.length < length) break;
      messages.push({ type: String.fromCharCode(this.buffer[0] as number), bytes: this.buffer.subarray(0, length) });
      this.buffer = this.buffer.subarray(length);
    }
    return messages;
  }

  /** The first message of a connection has no type byte: a startup, SSL or cancel request. */
  pushUntyped(chunk: Buffer): Buffer | null {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    if (this.buffer.length < 4) return null;
    const length = this.buffer.readInt32BE(0);
    if (this.buffer.length < length) return null;
    const message = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    return message;
  }

  /** Bytes received beyond the last complete message. */
  rest(): Buffer {
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    return rest;
  }
}

export const PROTOCOL_3 = 196608;
export const SSL_REQUEST = 80877103;
export const GSS_REQUEST = 80877104;

/** A typed message: its type byte, then its length and payload. */
export function message(type: string, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, "latin1");
  head.writeInt32BE(payload.length + 4, 1);
  return Buffer.concat([head, payload]);
}

const int32 = (value: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(value);
  return b;
};
const cstring = (text: string) => Buffer.from(`${text}\0`, "utf8");

export function startupMessage(params: Record<string, string>): Buffer {
  const body = Buffer.concat([
    int32(PROTOCOL_3),
    ...Object.entries(params).flatMap(([k, v]) => [cstring(k), cstring(v)]),
    Buffer.from([0]),
  ]);
  return Buffer.concat([int32(body.length + 4), body]);
}

/** The key/value pairs of a startup message. */
export function startupParams(startup: Buffer): Record<string, string> {
  const parts = startup.subarray(8).toString("utf8").split("\0");
  const params: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length; i += 2) if (parts[i]) params[parts[i] as string] = parts[i + 1] as string;
  return params;
}

export const authenticationRequest = (code: number, extra: Buffer = Buffer.alloc(0)) => message("R", Buffer.concat([int32(code), extra]));
export const readyForQuery = (status: "I" | "T" | "E") => message("Z", Buffer.from(status, "latin1"));
export const backendKeyData = (pid: number, secret: number) => message("K", Buffer.concat([int32(pid), int32(secret)]));
export const passwordMessage = (password: string) => message("p", cstring(password));

/** An ErrorResponse, as the server would send it. */
export function errorResponse(severity: "ERROR" | "FATAL", code: string, text: string): Buffer {
  return message(
    "E",
    Buffer.concat([
      Buffer.from("S"),
      cstring(severity),
      Buffer.from("V"),
      cstring(severity),
      Buffer.from("C"),
      cstring(code),
      Buffer.from("M"),
      cstring(text),
      Buffer.from([0]),
    ]),
  );
}

/** The password a client sent in a PasswordMessage. */
export function passwordOf(bytes: Buffer): string {
  return bytes.subarray(5, bytes.length - 1).toString("utf8");
}

/** The answer to an MD5 password request: md5(md5(password + user) + salt), hex, prefixed. */
export function md5Password(user: string, password: string, salt: Buffer): string {
  const inner = createHash("md5")
    .update(password + user)
    .digest("hex");
  return `md5${createHash("md5")
    .update(Buffer.concat([Buffer.from(inner), salt]))
    .digest("hex")}`;
}

/** The SQLSTATE and message of an ErrorResponse, for logs and errors. */
export function describeError(bytes: Buffer): string {
  const fields = bytes.subarray(5).toString("utf8").split("\0");
  const code = fields.find((f) => f.startsWith("C"))?.slice(1) ?? "?";
  const text = fields.find((f) => f.startsWith("M"))?.slice(1) ?? "";
  return `${code} ${text}`;
}
