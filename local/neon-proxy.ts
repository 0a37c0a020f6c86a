import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { ClientSession, ServerPool } from "./pg-pooler.js";

export interface NeonProxy {
  /** The value for the driver's `wsProxy` setting: `127.0.0.1:PORT/v1`. */
  address: string;
  port: number;
  close(): Promise<void>;
}

/** Server connections the pooler keeps at most; Postgres is started with room for many more. */
const POOL_SIZE = 64;

/**
 * The piece of Neon's edge that the serverless driver needs: a WebSocket that carries the
 * Postgres wire protocol, into a transaction-mode pooler as Neon's pooled endpoints have. It
 * serves only the database of `databaseUrl`, with that URL's credentials.
 */
export async function startNeonProxy(databaseUrl: string, port = 0): Promise<NeonProxy> {
  const url = new URL(databaseUrl);
  const target = {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)),
  };
  const allowedTarget = `${target.host}:${target.port}`;
  const pool = new ServerPool(target, POOL_SIZE);
  const server = new WebSocketServer({ host: "127.0.0.1", port, path: "/v1" });
  server.on("connection", (socket, request) => {
    const address = new URL(request.url ?? "/", "http://127.0.0.1").searchParams.get("address");
    if (address !== allowedTarget) {
      socket.close(1008, "address not allowed");
      return;
    }
    const session = new ClientSession(pool, {
      send: (bytes) => socket.send(bytes),
      close: () => socket.close(),
    });
    socket.on("message", (data: Buffer) => session.receive(data));
    socket.on("close", () => session.closed());
    socket.on("error", () => {
      session.closed();
      socket.terminate();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    address: `127.0.0.1:${actual}/v1`,
    port: actual,
    close: () =>
      new Promise((resolve) => {
        for (const client of server.clients) client.terminate();
        pool.closeAll();
        server.close(() => resolve());
      }),
  };
}
