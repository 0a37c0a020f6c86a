import { sql } from "drizzle-orm";
import { expect, test } from "vitest";
import { forgetExpiredRequests } from "../../../functions/jobs/sweep.js";
import { newKey, openDatabase } from "./harness.js";

// Replay and idempotency storage is bounded: each sweep forgets what has expired.
test("a sweep forgets expired nonces and idempotency keys, and keeps fresh ones", async () => {
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
    const services = { db, clock: { now: () => now } };
    await forgetExpiredRequests(services);
    expect(await count("request_nonces")).toBe(0);
    expect(await count("idempotency_keys")).toBe(1);
    now = new Date(Date.now() + 25 * 60 * 60 * 1000);
    await forgetExpiredRequests(services);
    expect(await count("idempotency_keys")).toBe(0);
  } finally {
    await close();
  }
});
