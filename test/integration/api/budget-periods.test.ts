import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Database } from "../../../db/client.js";
import type { KeyRow } from "../../../db/schema/index.js";
import { ApiError } from "../../../functions/errors.js";
import { claimExecution, finishExecution } from "../../../functions/ledger/index.js";
import type { Clock } from "../../../functions/services/clock.js";
import { patchKey } from "../../../functions/services/keys.js";
import { budgetOf } from "../../../functions/services/reports.js";
import { openDatabase } from "./harness.js";
import { seedKey, submitDirect } from "./ledger-fixture.js";

// Period boundaries, driven by an injected clock against the real ledger in Postgres.
let db: Database;
let close: () => Promise<void>;
let now: Date;
const clock: Clock = { now: () => now };
const RESERVE = 777n;

beforeAll(async () => {
  ({ db, close } = openDatabase());
});

afterAll(async () => {
  await close();
});

async function keyWith(period: "day" | "month" | "total", fits: bigint): Promise<KeyRow> {
  return (await seedKey(db, clock, RESERVE * fits, period)).key;
}

async function submit(key: KeyRow) {
  return { row: await submitDirect(db, key, clock, { timeout_ms: 20_000 }, RESERVE) };
}

async function refused(key: KeyRow): Promise<string> {
  const error = await submit(key).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return (error as ApiError).code;
}

describe("budget periods roll over at UTC boundaries without a cron", () => {
  test("day: a full day refuses; a millisecond past midnight is a fresh day", async () => {
    now = new Date("2031-03-31T23:59:59.900Z");
    const key = await keyWith("day", 2n);
    await submit(key);
    await submit(key);
    expect(await refused(key)).toBe("budget_exceeded");
    expect((await budgetOf(db, key, now)).remaining_usd).toBe("0.000000");
    now = new Date("2031-04-01T00:00:00.001Z");
    const fresh = await budgetOf(db, key, now);
    expect(fresh).toMatchObject({
      period_start: "2031-04-01T00:00:00.000Z",
      period_end: "2031-04-02T00:00:00.000Z",
      spent_usd: "0.000000",
      reserved_usd: "0.000000",
    });
    const { row } = await submit(key);
    expect(row.periodStart.toISOString()).toBe("2031-04-01T00:00:00.000Z");
  });

  test("a run created before midnight and settled after it is charged to its own day", async () => {
    now = new Date("2031-05-10T23:59:59.000Z");
    const key = await keyWith("day", 3n);
    const { row } = await submit(key);
    now = new Date("2031-05-11T00:00:05.000Z");
    expect(await claimExecution({ db, clock }, row.id, "sbx_test")).not.toBeNull();
    await finishExecution({ db }, row.id, {
      status: "succeeded",
      finishedAt: now,
      durationMs: 5,
      sandboxMs: 900,
      costMicros: 37n,
      result: null,
    });
    expect(await budgetOf(db, key, new Date("2031-05-10T12:00:00Z"))).toMatchObject({ spent_usd: "0.000037", reserved_usd: "0.000000" });
    expect(await budgetOf(db, key, now)).toMatchObject({ spent_usd: "0.000000", reserved_usd: "0.000000" });
  });

  test("month: the 1st starts afresh; total never does", async () => {
    now = new Date("2031-04-30T23:00:00.000Z");
    const monthly = await keyWith("month", 1n);
    const lifetime = await keyWith("total", 1n);
    await submit(monthly);
    await submit(lifetime);
    expect(await refused(monthly)).toBe("budget_exceeded");
    now = new Date("2031-05-01T00:00:00.000Z");
    await submit(monthly);
    expect(await refused(lifetime)).toBe("budget_exceeded");
    expect(await budgetOf(db, lifetime, now)).toMatchObject({
      period: "total",
      period_end: null,
      period_start: lifetime.createdAt.toISOString(),
    });
  });

  test("settling twice counts once", async () => {
    now = new Date("2031-06-01T10:00:00.000Z");
    const key = await keyWith("day", 1n);
    const { row } = await submit(key);
    await claimExecution({ db, clock }, row.id, "sbx_test");
    const outcome = { status: "succeeded" as const, finishedAt: now, durationMs: 5, sandboxMs: 900, costMicros: 37n, result: null };
    expect(await finishExecution({ db }, row.id, outcome)).not.toBeNull();
    expect(await finishExecution({ db }, row.id, outcome)).toBeNull();
    expect(await budgetOf(db, key, now)).toMatchObject({ spent_usd: "0.000037", reserved_usd: "0.000000" });
  });

  test("lowering a limit below what is reserved refuses new work and keeps the figures", async () => {
    now = new Date("2031-07-01T10:00:00.000Z");
    const key = await keyWith("day", 3n);
    await submit(key);
    await submit(key);
    const lowered = await patchKey(db, key.id, { budget_usd: RESERVE });
    expect(await refused(lowered)).toBe("budget_exceeded");
    expect(await budgetOf(db, lowered, now)).toMatchObject({ limit_usd: "0.000777", reserved_usd: "0.001554", remaining_usd: "0.000000" });
  });
});
