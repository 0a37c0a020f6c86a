import { connect, type Socket } from "node:net";
import {
  authenticationRequest,
  backendKeyData,
  describeError,
  errorResponse,
  GSS_REQUEST,
  MessageReader,
  md5Password,
  PROTOCOL_3,
  passwordMessage,
  passwordOf,
  readyForQuery,
  SSL_REQUEST,
  startupMessage,
  startupParams,
} from "./pg-wire.js";

/**
 * A transaction-mode connection pooler, as Neon's pooled endpoints are (PgBouncer): a client
 * connection is authenticated here and borrows a server connection only from its first message
 * until the server is idle again outside a transaction. Opening a connection then costs no new
 * Postgres backend, which is most of what a Worker request pays for its database.
 */
export class ServerPool {
  private readonly idle: ServerConnection[] = [];
  private readonly waiting: Array<{ resolve(c: ServerConnection): void; reject(e: Error): void }> = [];
  private open = 0;
  /** What the server said of itself at startup, replayed to each client. */
  parameters: Buffer[] | null = null;

  constructor(
    readonly target: { host: string; port: number; user: string; password: string; database: string },
    private readonly max: number,
  ) {}

  async acquire(): Promise<ServerConnection> {
    for (let conn = this.idle.pop(); conn; conn = this.idle.pop()) if (conn.alive) return conn;
    if (this.open >= this.max) return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.open++;
    try {
      const conn = await ServerConnection.open(this.target);
      this.parameters ??= conn.parameters;
      conn.onClose = () => this.forget(conn);
      return conn;
    } catch (error) {
      this.open--;
      // Whoever waits would fail the same way now.
      for (const waiter of this.waiting.splice(0)) waiter.reject(error as Error);
      throw error;
    }
  }

  /** Back to the pool, idle and outside any transaction. */
  release(conn: ServerConnection): void {
    conn.detach();
    if (!conn.alive) return;
    const waiter = this.waiting.shift();
    if (waiter) waiter.resolve(conn);
    else this.idle.push(conn);
  }

  /** Drops a connection whose state is unknown (its client left mid-query or mid-transaction). */
  discard(conn: ServerConnection): void {
    conn.detach();
    conn.close();
  }

  closeAll(): void {
    for (const conn of this.idle.splice(0)) conn.close();
    for (const waiter of this.waiting.splice(0)) waiter.reject(new Error("the pooler is closing"));
  }

  private forget(conn: ServerConnection): void {
    const index = this.idle.indexOf(conn);
    if (index >= 0) this.idle.splice(index, 1);
    this.open--;
    const waiter = this.waiting.shift();
    if (waiter) this.acquire().then(waiter.resolve, waiter.reject);
  }
}

/** One authenticated connection to Postgres. */
export class ServerConnection {
  alive = true;
  onClose: () => void = () => {};
  private onMessages: ((messages: Array<{ type: string; bytes: Buffer }>) => void) | null = null;
  private readonly reader = new MessageReader();

  private constructor(
    private readonly socket: Socket,
    readonly parameters: Buffer[],
  ) {
    socket.on("data", (chunk: Buffer) => {
      const messages = this.reader.push(chunk);
      if (messages.length) this.onMessages?.(messages);
    });
    socket.on("close", () => {
      this.alive = false;
      const notify = this.onMessages;
      this.onMessages = null;
      notify?.([]);
      this.onClose();
    });
    socket.on("error", () => {});
  }

  static open(target: ServerPool["target"]): Promise<ServerConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(target.port, target.host);
      socket.setNoDelay(true);
      const reader = new MessageReader();
      const parameters: Buffer[] = [];
      const fail = (error: Error) => {
        socket.destroy();
        reject(error);
      };
      socket.once("error", fail);
      socket.once("close", () => fail(new Error("the server closed the connection during startup")));
      socket.once("connect", () => socket.write(startupMessage({ user: target.user, database: target.database, client_encoding: "UTF8" })));
      const onData = (chunk: Buffer) => {
        for (const { type, bytes } of reader.push(chunk)) {
          if (type === "R") {
            const code = bytes.readInt32BE(5);
            if (code === 3) socket.write(passwordMessage(target.password));
            else if (code === 5) socket.write(passwordMessage(md5Password(target.user, target.password, bytes.subarray(9, 13))));
            else if (code !== 0) {
              fail(new Error(`the pooler cannot answer authentication method ${code}`));
              return;
            }
          } else if (type === "S") {
            parameters.push(Buffer.from(bytes));
          } else if (type === "E") {
            fail(new Error(`the server refused the pooler: ${describeError(bytes)}`));
            return;
          } else if (type === "Z") {
            socket.off("data", onData);
            socket.removeAllListeners("error");
            socket.removeAllListeners("close");
            const conn = new ServerConnection(socket, parameters);
            const rest = reader.rest();
            if (rest.length) socket.unshift(rest);
            return resolve(conn);
          }
        }
      };
      socket.on("data", onData);
    });
  }

  /** Routes the server's messages to one client until `detach`. */
  attach(onMessages: (messages: Array<{ type: string; bytes: Buffer }>) => void): void {
    this.onMessages = onMessages;
  }

  detach(): void {
    this.onMessages = null;
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.alive = false;
    this.socket.destroy();
  }
}

/** The transport a client session talks over (a WebSocket for the Neon driver). */
export interface ClientTransport {
  send(bytes: Buffer): void;
  close(): void;
}

let nextBackendPid = 1;

/** One client connection: authenticated here, then its messages are run on borrowed connections. */
export class ClientSession {
  private phase: "startup" | "password" | "ready" | "closed" = "startup";
  private readonly reader = new MessageReader();
  private server: ServerConnection | null = null;
  private acquiring = false;
  private readonly outbox: Buffer[] = [];
  /** Queries and Syncs sent whose ReadyForQuery has not come back. */
  private pendingReady = 0;
  private transaction: "I" | "T" | "E" = "I";

  constructor(
    private readonly pool: ServerPool,
    private readonly client: ClientTransport,
  ) {}

  receive(chunk: Buffer): void {
    if (this.phase === "startup") {
      const startup = this.reader.pushUntyped(chunk);
      if (!startup) return;
      this.startup(startup);
      chunk = this.reader.rest();
      if (this.phase === "startup") {
        if (chunk.length) this.receive(chunk);
        return;
      }
    }
    for (const { type, bytes } of this.reader.push(chunk)) {
      if (this.phase === "password") this.password(type, bytes);
      else if (this.phase === "ready") this.fromClient(type, bytes);
    }
    this.flush();
  }

  /** The client went away: its server connection goes back, or is dropped if mid-transaction. */
  closed(): void {
    if (this.phase === "closed") return;
    this.phase = "closed";
    this.returnServer();
  }

  private startup(startup: Buffer): void {
    const code = startup.readInt32BE(4);
    if (code === SSL_REQUEST || code === GSS_REQUEST) {
      this.client.send(Buffer.from("N"));
      return;
    }
    const params = startupParams(startup);
    if (code !== PROTOCOL_3 || params.user !== this.pool.target.user || params.database !== this.pool.target.database) {
      this.fatal("28000", "unknown user or database, or an unsupported protocol");
      return;
    }
    this.phase = "password";
    this.client.send(authenticationRequest(3));
  }

  private password(type: string, bytes: Buffer): void {
    if (type !== "p" || passwordOf(bytes) !== this.pool.target.password) {
      this.fatal("28P01", `password authentication failed for user "${this.pool.target.user}"`);
      return;
    }
    this.phase = "ready";
    const greet = (parameters: Buffer[]) =>
      this.client.send(
        Buffer.concat([
          authenticationRequest(0),
          ...parameters,
          backendKeyData(nextBackendPid++, Math.floor(Math.random() * 2 ** 31)),
          readyForQuery("I"),
        ]),
      );
    if (this.pool.parameters) {
      greet(this.pool.parameters);
      return;
    }
    // The first client waits for a server connection, to learn what to tell it.
    this.pool.acquire().then(
      (conn) => {
        this.pool.release(conn);
        if (this.phase !== "closed") greet(this.pool.parameters ?? []);
      },
      () => this.fatal("08006", "the database is not reachable"),
    );
  }

  private fromClient(type: string, bytes: Buffer): void {
    if (type === "X") {
      this.phase = "closed";
      this.returnServer();
      this.client.close();
      return;
    }
    if (type === "Q" || type === "S" || type === "F") this.pendingReady++;
    this.outbox.push(bytes);
  }

  private flush(): void {
    if (this.phase !== "ready" || this.outbox.length === 0) return;
    if (this.server) {
      this.server.write(Buffer.concat(this.outbox.splice(0)));
      return;
    }
    if (this.acquiring) return;
    this.acquiring = true;
    this.pool.acquire().then(
      (conn) => {
        this.acquiring = false;
        if (this.phase !== "ready") {
          this.pool.release(conn);
          return;
        }
        this.server = conn;
        conn.attach((messages) => this.fromServer(messages));
        this.flush();
      },
      () => {
        this.acquiring = false;
        this.fatal("08006", "the database is not reachable");
      },
    );
  }

  private fromServer(messages: Array<{ type: string; bytes: Buffer }>): void {
    if (messages.length === 0) {
      // The server connection died under this client.
      this.server = null;
      this.fatal("08006", "the database closed the connection");
      return;
    }
    this.client.send(messages.length === 1 ? (messages[0] as { bytes: Buffer }).bytes : Buffer.concat(messages.map((m) => m.bytes)));
    for (const { type, bytes } of messages) {
      if (type !== "Z") continue;
      this.pendingReady = Math.max(0, this.pendingReady - 1);
      this.transaction = String.fromCharCode(bytes[5] as number) as "I" | "T" | "E";
    }
    if (this.pendingReady === 0 && this.transaction === "I" && this.outbox.length === 0) this.returnServer();
  }

  private returnServer(): void {
    const conn = this.server;
    if (!conn) return;
    this.server = null;
    if (this.pendingReady === 0 && this.transaction === "I") this.pool.release(conn);
    else this.pool.discard(conn);
  }

  private fatal(code: string, text: string): void {
    if (this.phase === "closed") return;
    this.phase = "closed";
    this.returnServer();
    this.client.send(errorResponse("FATAL", code, text));
    this.client.close();
  }
}
