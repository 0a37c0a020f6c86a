import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DatabaseFront, startDatabaseFront } from "../../../local/database-front.js";
import { startNeonProxy } from "../../../local/neon-proxy.js";
import { findPgBouncer, startPgBouncer } from "../../../local/pg-pooler.js";
import { freePort } from "../../../local/ports.js";
import { type LocalPostgres, startLocalPostgres } from "../../../local/postgres.js";
import { firstRow, sqlState, workerPool } from "./worker-pool.js";

// The embedded Postgres stopped and started under the Worker's driver: it must hear at once that
// the database is down, and be served at once when it is back, with or without PgBouncer between.

const NO_PGBOUNCER = "PgBouncer is not installed (apt-get install pgbouncer)";

for (const pgbouncer of [true, false]) {
  describe(`Postgres stopped and started behind the proxy, ${pgbouncer ? "through PgBouncer" : "straight"}`, () => {
    const dataDir = mkdtempSync(join(tmpdir(), "runledger-outage-"));
    let postgres: LocalPostgres;
    let front: DatabaseFront;

    beforeAll(async () => {
      if (pgbouncer && !findPgBouncer()) return;
      postgres = await startLocalPostgres(dataDir, await freePort());
      front = await startDatabaseFront({ url: new URL(postgres.url), dataDir, postgres, pgbouncer });
    });
    afterAll(async () => {
      for (const stop of (front?.stops ?? []).reverse()) await stop();
      await postgres?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("refuses at once while it is down, ends open connections, and serves at once when it is back", async ({ skip }) => {
      skip(pgbouncer && !findPgBouncer(), NO_PGBOUNCER);
      expect(front.pooled).toBe(pgbouncer);
      const pool = workerPool(postgres.url, front.proxy.address);
      const held = workerPool(postgres.url, front.proxy.address);
      try {
        expect(await firstRow(pool, "select 1 as one")).toEqual({ one: 1 });
        const open = await held.connect();
        // An idle connection that the server ends says so as an event, as on Neon.
        open.on("error", () => {});
        await postgres.stop();

        let started = Date.now();
        expect(await sqlState(pool, "select 1")).toBe("08006");
        expect(Date.now() - started).toBeLessThan(1000);
        started = Date.now();
        await expect(open.query("select 1")).rejects.toThrow();
        expect(Date.now() - started).toBeLessThan(1000);
        open.release(true);

        await postgres.restart();
        expect(await firstRow(pool, "select 2 as two")).toEqual({ two: 2 });
      } finally {
        await pool.end();
        await held.end();
      }
    });
  });
}

describe("PgBouncer killed under the proxy", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "runledger-pgbouncer-"));
  const stops: Array<() => Promise<void>> = [];

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("is restarted, and meanwhile the proxy connects straight to Postgres", async ({ skip }) => {
    const binary = findPgBouncer();
    if (!binary) return skip(NO_PGBOUNCER);
    const postgres = await startLocalPostgres(dataDir, await freePort());
    stops.push(() => postgres.stop());
    const password = decodeURIComponent(new URL(postgres.url).password);
    const target = { host: "127.0.0.1", port: postgres.port, user: "runledger", password, database: "runledger" };
    const logged: string[] = [];
    const pgbouncer = await startPgBouncer({ binary, dir: join(dataDir, "pgbouncer"), target, log: (line) => logged.push(line) });
    if (!pgbouncer) throw new Error(`pgbouncer did not start: ${logged.join("; ")}`);
    stops.push(() => pgbouncer.stop());
    const proxy = await startNeonProxy({ databaseUrl: postgres.url, upstream: pgbouncer.upstream });
    stops.push(() => proxy.close());
    const pool = workerPool(postgres.url, proxy.address);
    stops.push(() => pool.end());

    const killed = pgbouncer.pid();
    expect(killed).toBeDefined();
    process.kill(killed as number, "SIGKILL");
    await until(() => pgbouncer.upstream().port === postgres.port);
    expect(await firstRow(pool, "select 1 as one")).toEqual({ one: 1 });
    await until(() => pgbouncer.upstream().port !== postgres.port);
    expect(pgbouncer.pid()).not.toBe(killed);
    expect(await firstRow(pool, "select 2 as two")).toEqual({ two: 2 });
    expect(logged.join("\n")).toMatch(/pgbouncer exited .*restarting it/);
  });
});

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`still not so after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
