import { createHash } from "node:crypto";

// Just enough of the Postgres wire protocol (v3) to frame messages, to log in and to run a few
// statements, for the local WebSocket proxy and the embedded Postgres's set-up.

export interface PgMessage {
  type: string;
  /** The whole message: its type byte, its length, its payload. */
  bytes: Buffer;
}

/** Splits complete messages (a type byte, then a length that counts itself) off a byte stream. */
export class MessageReader {
  private buffer: Buffer = Buffer.alloc(0);

  /** Adds bytes; returns every message now complete. */
  push(chunk: Buffer): PgMessage[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const messages: PgMessage[] = [];
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

/**
 * Counts the statements in a client's stream (simple queries and extended-protocol parses) as
 * it passes, holding no more than a message header.
 */
export class StatementScanner {
  private header = Buffer.alloc(0);
  private bodyLeft = 0;

  /** How many statements begin in these bytes. */
  scan(chunk: Buffer): number {
    let statements = 0;
    let at = 0;
    while (at < chunk.length) {
      if (this.bodyLeft > 0) {
        const skipped = Math.min(this.bodyLeft, chunk.length - at);
        this.bodyLeft -= skipped;
        at += skipped;
        continue;
      }
      const taken = chunk.subarray(at, at + 5 - this.header.length);
      this.header = Buffer.concat([this.header, taken]);
      at += taken.length;
      if (this.header.length < 5) break;
      const type = String.fromCharCode(this.header[0] as number);
      if (type === "Q" || type === "P") statements += 1;
      this.bodyLeft = this.header.readInt32BE(1) - 4;
      this.header = Buffer.alloc(0);
    }
    return statements;
  }
}

export const PROTOCOL_3 = 196608;
export const CANCEL_REQUEST = 80877102;
export const SSL_REQUEST = 80877103;
export const GSS_REQUEST = 80877104;

/** Authentication request codes (the `R` message). */
export const AUTH = { ok: 0, cleartext: 3, md5: 5, sasl: 10, saslContinue: 11, saslFinal: 12 } as const;

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

export const authenticationRequest = (code: number) => message("R", int32(code));
export const passwordMessage = (password: string) => message("p", cstring(password));
export const queryMessage = (sql: string) => message("Q", cstring(sql));
export const terminateMessage = () => message("X");

export function saslInitialResponse(mechanism: string, data: string): Buffer {
  const bytes = Buffer.from(data, "utf8");
  return message("p", Buffer.concat([cstring(mechanism), int32(bytes.length), bytes]));
}

export const saslResponse = (data: string) => message("p", Buffer.from(data, "utf8"));

/** The code of an authentication request, and what follows it. */
export function authenticationOf(bytes: Buffer): { code: number; data: Buffer } {
  return { code: bytes.readInt32BE(5), data: bytes.subarray(9) };
}

/** The mechanisms an AuthenticationSASL message offers. */
export function saslMechanisms(data: Buffer): string[] {
  return data.toString("utf8").split("\0").filter(Boolean);
}

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

/** The SQLSTATE and message of an ErrorResponse. */
export function errorOf(bytes: Buffer): { code: string; text: string } {
  const fields = bytes.subarray(5).toString("utf8").split("\0");
  return {
    code: fields.find((f) => f.startsWith("C"))?.slice(1) ?? "?",
    text: fields.find((f) => f.startsWith("M"))?.slice(1) ?? "",
  };
}

/** The values of a DataRow, as text (null for SQL NULL). */
export function dataRowOf(bytes: Buffer): Array<string | null> {
  const count = bytes.readInt16BE(5);
  const values: Array<string | null> = [];
  let at = 7;
  for (let i = 0; i < count; i++) {
    const length = bytes.readInt32BE(at);
    at += 4;
    if (length < 0) {
      values.push(null);
      continue;
    }
    values.push(bytes.subarray(at, at + length).toString("utf8"));
    at += length;
  }
  return values;
}
