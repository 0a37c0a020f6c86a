import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { bridgeClient, type Upstream } from "./pg-bridge.js";

export interface NeonProxy {
  /** The value for the driver's `wsProxy` setting: `127.0.0.1:PORT/v1`. */
  address: string;
  port: number;
  /** Statements clients have sent through the proxy so far (queries and parses). */
  statements(): number;
  /** Ends every client's connection, as Postgres ends every session when it shuts down. */
  disconnectAll(): void;
  close(): Promise<void>;
}

export interface NeonProxyOptions {
  /** The database the Worker is given; the proxy serves its host:port, user and database only. */
  databaseUrl: string;
  /**
   * Where connections go: a pooler in front of that database, the database itself by default;
   * undefined while the database is known to be down.
   */
  upstream?: () => Upstream | undefined;
  port?: number;
}

/**
 * The piece of Neon's edge that the serverless driver needs: a WebSocket that carries the
 * Postgres wire protocol to the database, on loopback. The driver asks for `?address=host:port`
 * of its connection string; any other address is refused.
 */
export async function startNeonProxy(options: NeonProxyOptions): Promise<NeonProxy> {
  const url = new URL(options.databaseUrl);
  const database: Upstream = { host: url.hostname, port: Number(url.port || 5432) };
  const allowedAddress = `${database.host}:${database.port}`;
  let statements = 0;
  const bridge = {
    countStatements: (count: number) => {
      statements += count;
    },
    upstream: options.upstream ?? (() => database),
    user: decodeURIComponent(url.username),
    database: decodeURIComponent(url.pathname.slice(1)),
  };
  const server = new WebSocketServer({ host: "127.0.0.1", port: options.port ?? 0, path: "/v1" });
  server.on("connection", (socket, request) => {
    const address = new URL(request.url ?? "/", "http://127.0.0.1").searchParams.get("address");
    if (address !== allowedAddress) {
      socket.close(1008, "address not allowed");
      return;
    }
    bridgeClient(socket, bridge);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    address: `127.0.0.1:${port}/v1`,
    port,
    statements: () => statements,
    disconnectAll: () => {
      for (const client of server.clients) client.terminate();
    },
    close: () =>
      new Promise((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
