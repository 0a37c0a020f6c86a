import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Database } from "../../../db/client.js";
import { definitionsInMigrations, functionBody, readFunctionSources } from "../../../db/tools/function-sources.js";
import {
  cancelExecution,
  claimExecution,
  completedEventOf,
  finishExecution,
  type Outcome,
  reapLostRun,
  revokeKeyExecutions,
} from "../../../functions/ledger/index.js";
import type { Clock } from "../../../functions/services/clock.js";
import { budgetOf } from "../../../functions/services/reports.js";
import { openDatabase } from "./harness.js";
import { seedKey, submitDirect } from "./ledger-fixture.js";

// The ledger's transitions called directly on the real Postgres: the SQL is where money and the
// outbox move, so its races are tried here, each against what must hold afterwards.
let db: Database;
let close: () => Promise<void>;
const now = new Date();
const clock: Clock = { now: () => now };
const ledger = () => ({ db, clock });

beforeAll(() => {
  ({ db, close } = openDatabase());
});

afterAll(async () => {
  await close();
});

const succeeded = (costMicros: bigint): Outcome => ({
  status: "succeeded",
  finishedAt: now,
  durationMs: 5,
  sandboxMs: 1500,
  costMicros,
  result: null,
});

async function freshExecution(webhook = true) {
  const { key } = await seedKey(db, clock);
  const row = await submitDirect(db, key, clock, { code: "1", ...(webhook ? { webhook_url: "https://hooks.example.com/in" } : {}) }, 100n);
  return { key, row };
}

describe("the SQL sources", () => {
  test("every function in the database is its source in db/functions/, and the migrations define it so", async () => {
    const live = await db.execute<{ name: string; body: string }>(
      sql`select proname as name, prosrc as body from pg_proc where proname like 'runledger\\_%' and pronamespace = 'public'::regnamespace`,
    );
    const bodies = new Map(live.rows.map((row) => [row.name, row.body]));
    const sources = readFunctionSources();
    const applied = definitionsInMigrations();
    expect([...bodies.keys()].sort()).toEqual([...sources.keys()].sort());
    for (const [name, source] of sources) {
      expect(bodies.get(name), `${name} in the database`).toBe(functionBody(source));
      expect(applied.get(name), `${name} in the migrations: run npm run db:functions`).toBe(source);
    }
  });
});

describe("transitions", () => {
  test("of ten concurrent claims exactly one wins", async () => {
    const { row } = await freshExecution();
    const claims = await Promise.all(Array.from({ length: 10 }, () => claimExecution(ledger(), row.id, "sbx_test")));
    expect(claims.filter((c) => c !== null)).toHaveLength(1);
  });

  test("settling twice is impossible: the second finish finds nothing, the money moved once", async () => {
    const { key, row } = await freshExecution();
    await claimExecution(ledger(), row.id, "sbx_test");
    const [first, second] = await Promise.all([
      finishExecution({ db }, row.id, succeeded(40n)),
      finishExecution({ db }, row.id, succeeded(60n)),
    ]);
    expect([first, second].filter((f) => f !== null)).toHaveLength(1);
    const budget = await budgetOf(db, key, now);
    expect(budget.reserved_usd).toBe("0.000000");
    expect(["0.000040", "0.000060"]).toContain(budget.spent_usd);
    expect((await completedEventOf({ db }, row.id))?.status).toBe("pending");
  });

  test("a cancel racing a finish: whichever is first, the row is settled once and owes one event", async () => {
    for (let round = 0; round < 5; round++) {
      const { key, row } = await freshExecution();
      await claimExecution(ledger(), row.id, "sbx_test");
      const [canceled, finished] = await Promise.allSettled([
        cancelExecution(ledger(), key.id, row.id),
        finishExecution({ db }, row.id, succeeded(37n)),
      ]);
      expect(finished.status).toBe("fulfilled");
      const settled = finished.status === "fulfilled" ? finished.value : null;
      if (canceled.status === "fulfilled") {
        // The cancel came first: the finish settled it, keeping `canceled`.
        expect(settled?.status).toBe("canceled");
      } else {
        expect((canceled.reason as { code?: string }).code).toBe("execution_finished");
        expect(settled?.status).toBe("succeeded");
      }
      const budget = await budgetOf(db, key, now);
      expect(budget.reserved_usd).toBe("0.000000");
      expect(budget.spent_usd).toBe("0.000037");
      const events = await db.execute<{ n: number }>(sql`select count(*)::int as n from events where execution_id = ${row.id}`);
      expect(events.rows[0]?.n).toBe(1);
    }
  });

  test("a queued cancel ends at once at no cost and owes its event in the same statement", async () => {
    const { key, row } = await freshExecution();
    const canceled = await cancelExecution(ledger(), key.id, row.id);
    expect(canceled.status).toBe("canceled");
    expect(canceled.costMicros).toBe(0n);
    const event = await completedEventOf({ db }, row.id);
    expect(event?.nextAttemptAt?.getTime()).toBe(now.getTime());
    expect((await budgetOf(db, key, now)).reserved_usd).toBe("0.000000");
  });

  test("revoking a key during a run: its queued executions end canceled, the running one finishes and is billed, nothing new starts", async () => {
    const { key } = await seedKey(db, clock);
    const running = await submitDirect(db, key, clock, { code: "1" }, 100n);
    const queued = await submitDirect(db, key, clock, { code: "2", webhook_url: "https://hooks.example.com/in" }, 100n);
    const late = await submitDirect(db, key, clock, { code: "3" }, 100n);
    await claimExecution(ledger(), running.id, "sbx_1");
    const canceled = await revokeKeyExecutions(ledger(), key.id);
    expect(canceled.map((e) => e.id).sort()).toEqual([queued.id, late.id].sort());
    expect(await completedEventOf({ db }, queued.id)).not.toBeNull();
    expect(await claimExecution(ledger(), late.id, "sbx_test")).toBeNull();
    const finished = await finishExecution({ db }, running.id, succeeded(37n));
    expect(finished?.status).toBe("succeeded");
    const budget = await budgetOf(db, key, now);
    expect(budget.spent_usd).toBe("0.000037");
    expect(budget.reserved_usd).toBe("0.000000");
  });

  test("a reaped run is billed its longest possible life, never more than was reserved, once", async () => {
    const { key, row } = await freshExecution(false);
    const claimed = await claimExecution(ledger(), row.id, "sbx_2");
    const later = { db, clock: { now: () => new Date(now.getTime() + 10 * 60_000) } };
    const reaped = await reapLostRun(later, { ...(claimed as NonNullable<typeof claimed>), sandboxId: "sbx_2" });
    expect(reaped?.status).toBe("error");
    expect(reaped?.costMicros).toBe(100n);
    expect(await reapLostRun(later, { ...(claimed as NonNullable<typeof claimed>), sandboxId: "sbx_2" })).toBeNull();
    expect((await budgetOf(db, key, now)).spent_usd).toBe("0.000100");
  });
});
