import { afterAll, beforeAll, expect, inject, test } from "vitest";
import type { Database } from "../../../db/client.js";
import type { Services } from "../../../functions/context.js";
import { DEFAULT_REAPER_GRACE_MS } from "../../../functions/env.js";
import { killLeakedSandboxes, reapLostRuns } from "../../../functions/jobs/reaper.js";
import { claimExecution, loadExecution } from "../../../functions/ledger/index.js";
import type { DeliveryMessage } from "../../../functions/queues.js";
import type { Clock } from "../../../functions/services/clock.js";
import { budgetOf } from "../../../functions/services/reports.js";
import { E2bSandboxProvider } from "../../../functions/services/sandbox-provider.js";
import { openDatabase, sandboxesOf } from "./harness.js";
import { seedKey, submitDirect } from "./ledger-fixture.js";
import { MemoryQueue } from "./memory-queue.js";

// A consumer that dies mid-run leaves an execution `running` and a sandbox alive: a sweep's
// reaper and leak sweep end both. Real ledger, real sandbox host, an injected clock.
let db: Database;
let close: () => Promise<void>;
let now = new Date();
const clock: Clock = { now: () => now };
const sandboxes = () =>
  new E2bSandboxProvider({ apiKey: inject("sandboxHostKey"), apiUrl: inject("sandboxHostUrl"), sandboxUrl: inject("sandboxHostUrl") });

beforeAll(() => {
  ({ db, close } = openDatabase());
});

afterAll(async () => {
  await close();
});

async function runningExecution() {
  const { key } = await seedKey(db, clock);
  const row = await submitDirect(db, key, clock, { code: "import time; time.sleep(600)", timeout_ms: 2000 }, 111n);
  const sandbox = await sandboxes().create({
    template: "code-interpreter-v1",
    timeoutMs: 120_000,
    allowInternetAccess: false,
    metadata: { runledger_execution: row.id },
  });
  await claimExecution({ db, clock }, row.id, sandbox.id);
  return { key, row, sandbox };
}

test("a run whose consumer died is reaped: error, sandbox killed, cost settled, webhook due", async () => {
  now = new Date();
  const { key, row } = await runningExecution();
  const deliveries = new MemoryQueue<DeliveryMessage>();
  const services = {
    db,
    clock,
    sandboxes: sandboxes(),
    deliveries: deliveries.asQueue(),
    config: { REAPER_GRACE_MS: DEFAULT_REAPER_GRACE_MS },
    holders: { settled: async () => {} },
  } as unknown as Services;

  now = new Date(now.getTime() + 2000 + DEFAULT_REAPER_GRACE_MS - 5_000);
  await reapLostRuns(services);
  expect((await loadExecution({ db }, row.id))?.status).toBe("running");
  now = new Date(now.getTime() + 10_000);
  await reapLostRuns(services);

  const reaped = await loadExecution({ db }, row.id);
  expect(reaped?.status).toBe("error");
  expect(reaped?.result?.error?.name).toBe("PlatformError");
  expect(reaped?.costMicros).toBe(111n); // its sandbox's whole life, capped at the reservation
  expect(await sandboxesOf(row.id)).toEqual([]);
  const budget = await budgetOf(db, key, now);
  expect(budget.reserved_usd).toBe("0.000000");
  expect(budget.spent_usd).toBe("0.000111");
});

test("a sandbox that no running execution owns is killed by the leak sweep; an owned one is left", async () => {
  now = new Date();
  const owned = await runningExecution();
  const orphan = await sandboxes().create({
    template: "code-interpreter-v1",
    timeoutMs: 120_000,
    allowInternetAccess: false,
    metadata: { runledger_execution: "exe_000000000000000000000000" },
  });
  const services = { db, clock, sandboxes: sandboxes() } as unknown as Services;
  await killLeakedSandboxes(services);
  expect(await sandboxesOf("exe_000000000000000000000000")).toEqual([orphan.id]); // too young to judge
  now = new Date(now.getTime() + 120_000);
  await killLeakedSandboxes(services);
  expect(await sandboxesOf("exe_000000000000000000000000")).toEqual([]);
  expect(await sandboxesOf(owned.row.id)).toEqual([owned.sandbox.id]);
  await owned.sandbox.kill();
});
