import { neon, neonConfig, Pool } from "@neondatabase/serverless";
import { drizzle as overHttp } from "drizzle-orm/neon-http";
import { drizzle } from "drizzle-orm/neon-serverless";

export interface DatabaseConfig {
  databaseUrl: string;
  /**
   * Where a WebSocket-to-Postgres proxy listens (`host:port/path`), for a Postgres that is not
   * Neon; unset, the driver uses Neon's own endpoint for the URL's host.
   */
  wsProxy?: string;
  /**
   * Send each statement over HTTP (Neon's SQL-over-HTTP: no connection to open) instead of a
   * pooled WebSocket connection. `httpEndpoint` is where, for a Postgres that is not Neon.
   */
  http?: boolean;
  httpEndpoint?: string;
}

export type Database = ReturnType<typeof drizzle>;

export interface DatabaseHandle {
  db: Database;
  close(): Promise<void>;
}

/** A database client over the Neon serverless driver, in every environment. Close it when done. */
export function createDatabase(config: DatabaseConfig): DatabaseHandle {
  if (config.http) {
    if (config.httpEndpoint) neonConfig.fetchEndpoint = config.httpEndpoint;
    // The ledger is one statement per change and never needs a transaction of its own, so both
    // clients answer the same calls (`execute` gives `rows` on both); the WebSocket one's type stands for both.
    const db = overHttp({ client: neon(config.databaseUrl) }) as unknown as Database;
    return { db, close: async () => {} };
  }
  const proxy = config.wsProxy;
  if (proxy) {
    neonConfig.wsProxy = (host, port) => `${proxy}?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    // As on Neon: the password goes with the startup message, one round trip fewer per connection.
    neonConfig.pipelineConnect = "password";
  }
  // One request or queue batch rarely needs more than two connections at once.
  const pool = new Pool({ connectionString: config.databaseUrl, max: 2 });
  pool.on("error", () => {});
  // No relational schema: it is rebuilt on every drizzle() call (every request), and unused.
  return { db: drizzle({ client: pool }), close: () => pool.end() };
}
