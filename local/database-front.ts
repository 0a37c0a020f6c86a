import { join } from "node:path";
import { type NeonProxy, startNeonProxy } from "./neon-proxy.js";
import { findPgBouncer, startPgBouncer } from "./pg-pooler.js";
import type { LocalPostgres } from "./postgres.js";

export interface DatabaseFront {
  proxy: NeonProxy;
  /** Whether PgBouncer pools the connections (else the proxy connects straight to Postgres). */
  pooled: boolean;
  /** What to stop, in reverse order. */
  stops: Array<() => Promise<void>>;
}

/**
 * What the Worker's driver connects to for a Postgres that is not Neon: the WebSocket proxy, and
 * PgBouncer behind it when it is installed (RUNLEDGER_PGBOUNCER=0 leaves it out).
 */
export async function startDatabaseFront(options: {
  url: URL;
  /** Where PgBouncer keeps its configuration. */
  dataDir: string;
  /** The embedded Postgres behind `url`, when it is the stack's own. */
  postgres: LocalPostgres | undefined;
  pgbouncer?: boolean;
}): Promise<DatabaseFront> {
  const { url, postgres } = options;
  const stops: Array<() => Promise<void>> = [];
  const binary = (options.pgbouncer ?? process.env.RUNLEDGER_PGBOUNCER !== "0") ? findPgBouncer() : undefined;
  const target = {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)),
  };
  const pgbouncer = binary
    ? await startPgBouncer({ binary, dir: join(options.dataDir, "pgbouncer"), target, log: (line) => console.error(line) })
    : undefined;
  if (pgbouncer) stops.push(() => pgbouncer.stop());
  const direct = { host: target.host, port: target.port };
  // While the embedded Postgres is down, a client hears so at once, as from Postgres itself;
  // PgBouncer would hold it until its query_wait_timeout.
  const upstream = () => (postgres && !postgres.running() ? undefined : (pgbouncer?.upstream() ?? direct));
  const proxy = await startNeonProxy({ databaseUrl: url.toString(), upstream }).catch(async (error: Error) => {
    await pgbouncer?.stop();
    throw error;
  });
  stops.push(() => proxy.close());
  // PgBouncer keeps its clients when Postgres goes away; Postgres would end their sessions.
  postgres?.onDown(() => proxy.disconnectAll());
  return { proxy, pooled: pgbouncer !== undefined, stops };
}
