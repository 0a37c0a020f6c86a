import { sql } from "drizzle-orm";
import { expect, inject, test } from "vitest";
import type { Services } from "../../../functions/context.js";
import { DEFAULT_REAPER_GRACE_MS } from "../../../functions/env.js";
import { runMaintenance } from "../../../functions/jobs/maintenance.js";
import type { DeliveryMessage, RunMessage } from "../../../functions/queues.js";
import { E2bSandboxProvider } from "../../../functions/services/sandbox-provider.js";
import { newKey, openDatabase } from "./harness.js";
import { MemoryQueue } from "./memory-queue.js";

// Replay and idempotency storage is bounded: the cron forgets what has expired.
test("the cron forgets expired nonces and idempotency keys, and keeps fresh ones", async () => {
  const { key, client } = await newKey();
  await client.request("GET", "/v1/executions");
  await client.request("POST", "/v1/executions", { code: "print(1)" }, { "idempotency-key": "keep-me-a-day" });
  const { db, close } = openDatabase();
  const count = async (table: string) =>
    (await db.execute<{ n: number }>(sql.raw(`select count(*)::int as n from ${table} where key_id = '${key.id}'`))).rows[0]?.n;
  try {
    expect(await count("request_nonces")).toBe(2);
    expect(await count("idempotency_keys")).toBe(1);
    let now = new Date(Date.now() + 11 * 60 * 1000);
    const services = {
      db,
      clock: { now: () => now },
      queue: new MemoryQueue<RunMessage>().asQueue(),
      deliveries: new MemoryQueue<DeliveryMessage>().asQueue(),
      sandboxes: new E2bSandboxProvider({
        apiKey: inject("sandboxHostKey"),
        apiUrl: inject("sandboxHostUrl"),
        sandboxUrl: inject("sandboxHostUrl"),
      }),
      config: { REAPER_GRACE_MS: DEFAULT_REAPER_GRACE_MS, INPUT_RETENTION_DAYS: 30 },
    } as unknown as Services;
    await runMaintenance(services);
    expect(await count("request_nonces")).toBe(0);
    expect(await count("idempotency_keys")).toBe(1);
    now = new Date(Date.now() + 25 * 60 * 60 * 1000);
    await runMaintenance(services);
    expect(await count("idempotency_keys")).toBe(0);
  } finally {
    await close();
  }
});
