import { connect, type Socket } from "node:net";
import { ScramClient, type ScramParameters } from "./pg-scram.js";
import {
  AUTH,
  authenticationOf,
  errorOf,
  MessageReader,
  md5Password,
  passwordMessage,
  saslInitialResponse,
  saslMechanisms,
  saslResponse,
  startupMessage,
} from "./pg-wire.js";

export interface LoginTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** More startup parameters (a client's own, when the proxy logs in for it). */
  params?: Record<string, string>;
}

/** The server refused the login; `bytes` is its ErrorResponse, to pass on as it is. */
export class PgServerError extends Error {
  constructor(
    readonly code: string,
    text: string,
    readonly bytes: Buffer,
  ) {
    super(text);
  }
}

const LOGIN_TIMEOUT_MS = 10_000;

/**
 * Connects to Postgres (or PgBouncer) and logs in with whatever the server asks for: cleartext,
 * MD5 or SCRAM-SHA-256. Resolves with the socket and what the server has sent from its
 * AuthenticationOk on (parameters, backend key, ReadyForQuery), still unread.
 */
export function loginToPostgres(target: LoginTarget): Promise<{ socket: Socket; greeting: Buffer; scram: ScramParameters | null }> {
  return new Promise((resolve, reject) => {
    const socket = connect(target.port, target.host);
    socket.setNoDelay(true);
    const reader = new MessageReader();
    let scram: ScramClient | null = null;
    let settled = false;
    const timer = setTimeout(
      () => fail(new Error(`no answer from ${target.host}:${target.port} within ${LOGIN_TIMEOUT_MS / 1000} s`)),
      LOGIN_TIMEOUT_MS,
    );
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      const messages = reader.push(chunk);
      for (let i = 0; i < messages.length; i++) {
        const { type, bytes } = messages[i] as (typeof messages)[number];
        if (type === "E") {
          const { code, text } = errorOf(bytes);
          return fail(new PgServerError(code, text, Buffer.from(bytes)));
        }
        if (type !== "R") continue;
        const { code, data } = authenticationOf(bytes);
        if (code === AUTH.ok) {
          settled = true;
          clearTimeout(timer);
          socket.off("data", onData);
          socket.removeAllListeners("error");
          socket.removeAllListeners("close");
          const greeting = Buffer.concat([...messages.slice(i).map((m) => m.bytes), reader.rest()]);
          return resolve({ socket, greeting, scram: scram?.parameters ?? null });
        }
        if (code === AUTH.cleartext) socket.write(passwordMessage(target.password));
        else if (code === AUTH.md5) socket.write(passwordMessage(md5Password(target.user, target.password, data.subarray(0, 4))));
        else if (code === AUTH.sasl) {
          if (!saslMechanisms(data).includes(ScramClient.mechanism))
            return fail(new Error("the server offers no SASL mechanism this client knows"));
          scram = new ScramClient(target.password);
          socket.write(saslInitialResponse(ScramClient.mechanism, scram.first()));
        } else if (code === AUTH.saslContinue && scram) {
          scram.final(data.toString("utf8")).then((answer) => socket.write(saslResponse(answer)), fail);
        } else if (code === AUTH.saslFinal && scram) {
          try {
            scram.verify(data.toString("utf8"));
          } catch (error) {
            return fail(error as Error);
          }
        } else return fail(new Error(`the server asks for authentication method ${code}, which this client does not speak`));
      }
    };
    socket.on("data", onData);
    socket.once("error", fail);
    socket.once("close", () => fail(new Error(`${target.host}:${target.port} closed the connection during login`)));
    socket.once("connect", () => socket.write(startupMessage({ ...target.params, user: target.user, database: target.database })));
  });
}
