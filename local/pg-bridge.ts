import { connect, type Socket } from "node:net";
import type { WebSocket } from "ws";
import { loginToPostgres, PgServerError } from "./pg-login.js";
import {
  AUTH,
  authenticationRequest,
  CANCEL_REQUEST,
  errorResponse,
  GSS_REQUEST,
  MessageReader,
  PROTOCOL_3,
  passwordOf,
  SSL_REQUEST,
  StatementScanner,
  startupParams,
} from "./pg-wire.js";

export interface Upstream {
  host: string;
  port: number;
}

export interface BridgeOptions {
  /**
   * Where to log in for the client: PgBouncer when it runs, Postgres itself otherwise; undefined
   * while the database is known to be down, so that the client hears so at once.
   */
  upstream(): Upstream | undefined;
  /** The one user and database the proxy serves. */
  user: string;
  database: string;
  /** Told how many statements the client sent, as they pass. */
  countStatements?(count: number): void;
}

/** Bytes the WebSocket may hold unsent before the server's socket is paused. */
const HIGH_WATER = 1 << 20;

/**
 * One client of the proxy, as Neon's proxy treats it: the client sends its password in clear
 * (inside the WebSocket; the driver pipelines it with its startup message), the proxy logs in
 * upstream with it by whatever method the server asks (SCRAM-SHA-256 included), then the two
 * sides are joined byte for byte. The proxy holds no credentials of its own.
 */
export function bridgeClient(client: WebSocket, options: BridgeOptions): void {
  const reader = new MessageReader();
  const statements = new StatementScanner();
  let phase: "startup" | "password" | "login" | "joined" | "closed" = "startup";
  let params: Record<string, string> = {};
  const early: Buffer[] = [];
  let server: Socket | null = null;

  const close = () => {
    if (phase === "closed") return;
    phase = "closed";
    server?.destroy();
    client.close();
  };
  const refuse = (code: string, text: string) => {
    client.send(errorResponse("FATAL", code, text));
    close();
  };

  const onStartup = (chunk: Buffer) => {
    for (let startup = reader.pushUntyped(chunk); startup; startup = reader.pushUntyped(Buffer.alloc(0))) {
      const code = startup.readInt32BE(4);
      if (code === SSL_REQUEST || code === GSS_REQUEST) {
        client.send(Buffer.from("N"));
        continue;
      }
      if (code === CANCEL_REQUEST) {
        const upstream = options.upstream();
        if (upstream) forwardCancel(upstream, Buffer.from(startup));
        return close();
      }
      params = startupParams(startup);
      if (code !== PROTOCOL_3 || params.user !== options.user || params.database !== options.database) {
        return refuse("28000", "this proxy serves one user and database, and protocol 3 only");
      }
      phase = "password";
      client.send(authenticationRequest(AUTH.cleartext));
      return onPassword(reader.rest());
    }
  };

  const onPassword = (chunk: Buffer) => {
    const [first, ...rest] = reader.push(chunk);
    if (!first) return;
    if (first.type !== "p") return refuse("08P01", "expected a password message");
    early.push(...rest.map((m) => Buffer.from(m.bytes)), Buffer.from(reader.rest()));
    phase = "login";
    const upstream = options.upstream();
    if (!upstream) return refuse("08006", "the database is not reachable");
    const clientParams = Object.fromEntries(Object.entries(params).filter(([name]) => name !== "user" && name !== "database"));
    const login = {
      ...upstream,
      user: options.user,
      database: options.database,
      password: passwordOf(first.bytes),
      params: clientParams,
    };
    loginToPostgres(login).then(
      ({ socket, greeting }) => (phase === "closed" ? socket.destroy() : join(socket, greeting)),
      (error: Error) => {
        if (!(error instanceof PgServerError)) return refuse("08006", `the database is not reachable: ${error.message}`);
        client.send(error.bytes);
        close();
      },
    );
  };

  const join = (socket: Socket, greeting: Buffer) => {
    server = socket;
    phase = "joined";
    client.send(greeting);
    const pending = Buffer.concat(early.splice(0));
    if (pending.length) {
      options.countStatements?.(statements.scan(pending));
      socket.write(pending);
    }
    socket.on("data", (chunk: Buffer) => {
      client.send(chunk, () => {
        if (socket.isPaused() && client.bufferedAmount < HIGH_WATER) socket.resume();
      });
      if (client.bufferedAmount >= HIGH_WATER) socket.pause();
    });
    socket.on("drain", () => client.resume());
    socket.on("close", close);
    socket.on("error", close);
  };

  client.on("message", (data: Buffer) => {
    if (phase === "joined") {
      options.countStatements?.(statements.scan(data));
      if (!server?.write(data)) client.pause();
    } else if (phase === "login") early.push(data);
    else if (phase === "startup") onStartup(data);
    else if (phase === "password") onPassword(data);
  });
  client.on("close", close);
  client.on("error", close);
}

/** A cancel request goes on its own connection, as it came. */
function forwardCancel(upstream: Upstream, request: Buffer): void {
  const socket = connect(upstream.port, upstream.host, () => socket.end(request));
  socket.on("error", () => socket.destroy());
}
