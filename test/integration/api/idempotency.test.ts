import { sql } from "drizzle-orm";
import { expect, test } from "vitest";
import { type ApiErrorBody, type Execution, newKey, openDatabase, waitForFinal } from "./harness.js";

test("the same Idempotency-Key sent 50 times at once: one execution, one charge, one answer without the header", async () => {
  const { key, client } = await newKey();
  const body = { code: "print('exactly once')" };
  const answers = await Promise.all(
    Array.from({ length: 50 }, () =>
      client.request<Execution | ApiErrorBody>("POST", "/v1/executions", body, { "idempotency-key": "nightly-2026-11-22" }),
    ),
  );
  expect(answers.map((a) => a.status).filter((s) => s !== 200 && s !== 202)).toEqual([]);
  const ids = new Set(answers.map((a) => (a.body as Execution).id));
  expect(ids.size).toBe(1);
  expect(answers.filter((a) => a.headers.get("idempotent-replayed") === null)).toHaveLength(1);
  expect(answers.filter((a) => a.headers.get("idempotent-replayed") === "true")).toHaveLength(49);
  const [id] = [...ids];
  const finished = await waitForFinal(client, id as string);
  expect(finished.result?.stdout).toBe("exactly once\n");

  const { db, close } = openDatabase();
  try {
    const ledger = await db.execute<{ n: number }>(sql`select count(*)::int as n from executions where key_id = ${key.id}`);
    expect(ledger.rows[0]?.n).toBe(1);
    const usage = await db.execute<{ spent: string; reserved: string }>(
      sql`select spent_micros as spent, reserved_micros as reserved from budget_usage where key_id = ${key.id}`,
    );
    expect(usage.rows).toEqual([{ spent: String(Math.round(Number(finished.cost_usd) * 1e6)), reserved: "0" }]);
  } finally {
    await close();
  }

  const conflict = await client.request<ApiErrorBody>(
    "POST",
    "/v1/executions",
    { code: "print('different')" },
    { "idempotency-key": "nightly-2026-11-22" },
  );
  expect(conflict.status).toBe(409);
  expect(conflict.body.error.code).toBe("idempotency_conflict");
});
