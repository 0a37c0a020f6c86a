import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PgServerError } from "./pg-login.js";
import { identifier as id, literal, PgSql } from "./pg-sql.js";
import { LocalPostgresError } from "./postgres-error.js";

// Two roles per cluster, each with a password generated for it and kept in a 0600 file in the
// cluster's directory: the Worker's role, which owns the application's database and nothing more
// (no superuser, no CREATEROLE, no CREATEDB), and a superuser for this set-up, never given to the
// Worker.

export const DATABASE = "runledger";
export const APP_ROLE = "runledger";
export const ADMIN_ROLE = "runledger_admin";
/** Clusters made by earlier versions: one superuser, `runledger`, with a fixed password. */
const LEGACY = { role: "runledger", password: "runledger-local" };
const UPGRADER = "runledger_upgrade";

export interface LocalSecrets {
  admin: string;
  app: string;
}

export const passwordFile = (pgdata: string, role: string) => join(pgdata, `${role}.password`);

export const newSecrets = (): LocalSecrets => ({ admin: newPassword(), app: newPassword() });

/** The two roles' passwords as kept in `pgdata`; a missing one is written (`initial`, or a new one). */
export function localSecrets(pgdata: string, initial = newSecrets()): LocalSecrets {
  return {
    admin: readOrCreate(passwordFile(pgdata, ADMIN_ROLE), initial.admin),
    app: readOrCreate(passwordFile(pgdata, APP_ROLE), initial.app),
  };
}

const newPassword = () => randomBytes(24).toString("base64url");

function readOrCreate(path: string, password: string): string {
  try {
    writeFileSync(path, `${password}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  chmodSync(path, 0o600);
  return readFileSync(path, "utf8").trim();
}

/**
 * Makes the cluster on 127.0.0.1:`port` what this version expects: the admin role with its
 * password, the application's role with its own and no more rights than its database needs.
 * A cluster from an earlier version is upgraded first.
 */
export async function ensureRoles(port: number, pgdata: string, secrets: LocalSecrets): Promise<void> {
  const login = (user: string, password: string, database = "postgres") =>
    PgSql.connect({ host: "127.0.0.1", port, user, password, database });
  let admin: PgSql;
  try {
    admin = await login(ADMIN_ROLE, secrets.admin);
  } catch (error) {
    if (!refusedLogin(error)) throw error;
    await upgradeLegacy(login, pgdata, secrets);
    admin = await login(ADMIN_ROLE, secrets.admin);
  }
  try {
    const app = id(APP_ROLE);
    if (!(await admin.query(`SELECT 1 FROM pg_roles WHERE rolname = ${literal(APP_ROLE)}`)).length) await admin.query(`CREATE ROLE ${app}`);
    await admin.query(
      `ALTER ROLE ${app} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${literal(secrets.app)}`,
    );
    if (!(await admin.query(`SELECT 1 FROM pg_database WHERE datname = ${literal(DATABASE)}`)).length) {
      await admin.query(`CREATE DATABASE ${id(DATABASE)} OWNER ${app}`);
    }
    await admin.query(
      `ALTER DATABASE ${id(DATABASE)} OWNER TO ${app}; REVOKE ALL ON DATABASE postgres, template1 FROM PUBLIC; DROP ROLE IF EXISTS ${id(UPGRADER)}`,
    );
  } finally {
    admin.close();
  }
}

type Login = (user: string, password: string, database?: string) => Promise<PgSql>;

/**
 * An earlier version's cluster: its superuser `runledger` (the bootstrap role, which cannot lose
 * SUPERUSER) becomes `runledger_admin`; a new `runledger` role without it takes over the database
 * and everything in it. One transaction, so a start cut short leaves the old cluster as it was.
 */
async function upgradeLegacy(login: Login, pgdata: string, secrets: LocalSecrets): Promise<void> {
  const upgraderPassword = newPassword();
  let hasDatabase: boolean;
  let legacy: PgSql;
  try {
    legacy = await login(LEGACY.role, LEGACY.password);
  } catch (error) {
    if (!refusedLogin(error)) throw error;
    throw new LocalPostgresError(
      `its cluster ${pgdata} refuses the password in ${passwordFile(pgdata, ADMIN_ROLE)}`,
      `put back the password files it was made with, or move ${pgdata} away to start afresh`,
    );
  }
  try {
    hasDatabase = (await legacy.query(`SELECT 1 FROM pg_database WHERE datname = ${literal(DATABASE)}`)).length > 0;
    await legacy.query(
      `DROP ROLE IF EXISTS ${id(UPGRADER)}; CREATE ROLE ${id(UPGRADER)} SUPERUSER LOGIN PASSWORD ${literal(upgraderPassword)}`,
    );
  } finally {
    legacy.close();
  }
  const upgrader = await login(UPGRADER, upgraderPassword, hasDatabase ? DATABASE : "postgres");
  try {
    await upgrader.query(`BEGIN;
      ALTER ROLE ${id(LEGACY.role)} RENAME TO ${id(ADMIN_ROLE)};
      ALTER ROLE ${id(ADMIN_ROLE)} PASSWORD ${literal(secrets.admin)};
      CREATE ROLE ${id(APP_ROLE)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${literal(secrets.app)};
      ${hasDatabase ? `ALTER DATABASE ${id(DATABASE)} OWNER TO ${id(APP_ROLE)}; ${handOver(ADMIN_ROLE, APP_ROLE)}` : ""}
      COMMIT;`);
  } finally {
    upgrader.close();
  }
  writeFileSync(join(pgdata, "pg_hba.conf"), HBA);
  const admin = await login(ADMIN_ROLE, secrets.admin);
  try {
    await admin.query("SELECT pg_reload_conf()");
  } finally {
    admin.close();
  }
}

/** Local TCP only (the server listens on nothing else), SCRAM for everyone, as initdb writes it here. */
const HBA = `# TYPE  DATABASE  USER  ADDRESS       METHOD
host    all       all   127.0.0.1/32  scram-sha-256
host    all       all   ::1/128       scram-sha-256
`;

/** Everything `from` owns in the current database (outside the system's schemas) passes to `to`. */
function handOver(from: string, to: string): string {
  const mine = (column: string) => `${column} = ${literal(from)}::regrole`;
  const userSchema = (column: string) =>
    `${column} NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace, 'pg_toast'::regnamespace)`;
  return `DO $handover$
DECLARE item record;
BEGIN
  FOR item IN SELECT nspname FROM pg_namespace WHERE ${mine("nspowner")} AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' LOOP
    EXECUTE format('ALTER SCHEMA %I OWNER TO %I', item.nspname, ${literal(to)});
  END LOOP;
  -- Tables take their indexes and the sequences they own along.
  FOR item IN SELECT oid::regclass AS name, relkind FROM pg_class WHERE ${mine("relowner")} AND ${userSchema("relnamespace")} AND relkind IN ('r', 'p', 'v', 'm', 'f') LOOP
    EXECUTE format('ALTER %s %s OWNER TO %I',
      CASE item.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, item.name, ${literal(to)});
  END LOOP;
  FOR item IN SELECT oid::regclass AS name FROM pg_class WHERE ${mine("relowner")} AND ${userSchema("relnamespace")} AND relkind = 'S' LOOP
    EXECUTE format('ALTER SEQUENCE %s OWNER TO %I', item.name, ${literal(to)});
  END LOOP;
  FOR item IN SELECT oid::regprocedure AS name, prokind FROM pg_proc WHERE ${mine("proowner")} AND ${userSchema("pronamespace")} LOOP
    EXECUTE format('ALTER %s %s OWNER TO %I', CASE item.prokind WHEN 'a' THEN 'AGGREGATE' ELSE 'ROUTINE' END, item.name, ${literal(to)});
  END LOOP;
  FOR item IN SELECT t.oid::regtype AS name FROM pg_type t LEFT JOIN pg_class c ON c.oid = t.typrelid
      WHERE ${mine("t.typowner")} AND ${userSchema("t.typnamespace")} AND t.typtype IN ('e', 'd', 'r', 'c') AND t.typcategory <> 'A'
        AND (t.typrelid = 0 OR c.relkind = 'c') LOOP
    EXECUTE format('ALTER TYPE %s OWNER TO %I', item.name, ${literal(to)});
  END LOOP;
END
$handover$;`;
}

/** Wrong password, or no such role: the answer Postgres gives for both. */
function refusedLogin(error: unknown): boolean {
  return error instanceof PgServerError && (error.code === "28P01" || error.code === "28000");
}
