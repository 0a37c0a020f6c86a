import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import type { RunledgerClient } from "../../../client/client.js";
import { type ApiErrorBody, admin, type Execution, newKey, openDatabase, run } from "./harness.js";

// Budgets hold under any interleaving: exactly as many submits as fit are accepted, and
// spent + reserved never passes the limit, checked in SQL while the burst runs.
const SLOW = { code: "import time\ntime.sleep(20)", timeout_ms: 20_000 };
const RESERVE_MICROS = 37 * 21; // ceil((20 000 + 1 000) / 1 000) s of code-interpreter-v1

type Sample = { key_id: string; limit: string; used: string };

async function burst(clients: RunledgerClient[], perKey: number): Promise<Array<{ key: number; status: number; id?: string }>> {
  const requests = clients.flatMap((client, key) =>
    Array.from({ length: perKey }, async () => {
      const res = await client.request<Execution | ApiErrorBody>("POST", "/v1/executions", SLOW);
      return { key, status: res.status, id: "id" in res.body ? res.body.id : undefined };
    }),
  );
  return Promise.all(requests);
}

async function cancelAll(client: RunledgerClient, ids: string[]): Promise<void> {
  await Promise.all(ids.map((id) => client.request("POST", `/v1/executions/${id}/cancel`)));
}

describe("budget reservations under concurrency", () => {
  test("200 concurrent submits against a budget that fits exactly 7: 7 accepted, 193 refused, never over", async () => {
    const fits = 7;
    const { key, client } = await newKey({ budget_usd: (RESERVE_MICROS * fits) / 1e6, max_concurrency: 1000 });
    const { db, close } = openDatabase();
    const samples: Sample[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const result = await db.execute<Sample>(
          sql`select k.id as key_id, k.budget_micros as limit, coalesce(sum(u.spent_micros + u.reserved_micros), 0) as used
              from keys k left join budget_usage u on u.key_id = k.id where k.id = ${key.id} group by k.id`,
        );
        samples.push(...result.rows);
      }
    })();
    let accepted: Array<{ id?: string }> = [];
    try {
      const answers = await burst([client], 200);
      sampling = false;
      await sampler;
      accepted = answers.filter((a) => a.status === 202);
      expect(accepted).toHaveLength(fits);
      expect(answers.filter((a) => a.status === 402)).toHaveLength(200 - fits);
      expect(samples.length).toBeGreaterThan(0);
      for (const sample of samples) expect(BigInt(sample.used)).toBeLessThanOrEqual(BigInt(sample.limit));
      const ledger = await db.execute<{ n: number; reserved: string }>(
        sql`select count(*)::int as n, coalesce(sum(reserved_micros), 0) as reserved from executions where key_id = ${key.id}`,
      );
      expect(ledger.rows[0]).toEqual({ n: fits, reserved: String(RESERVE_MICROS * fits) });
    } finally {
      sampling = false;
      await close();
      await cancelAll(
        client,
        accepted.map((a) => a.id as string),
      );
    }
  }, 120_000);

  test("two keys interleaved: each gets exactly what fits, independently", async () => {
    const a = await newKey({ budget_usd: (RESERVE_MICROS * 3) / 1e6, max_concurrency: 1000 });
    const b = await newKey({ budget_usd: (RESERVE_MICROS * 5) / 1e6, max_concurrency: 1000 });
    const answers = await burst([a.client, b.client], 60);
    const acceptedA = answers.filter((x) => x.key === 0 && x.status === 202);
    const acceptedB = answers.filter((x) => x.key === 1 && x.status === 202);
    const { db, close } = openDatabase();
    try {
      expect(acceptedA).toHaveLength(3);
      expect(acceptedB).toHaveLength(5);
      const usage = await db.execute<{ key_id: string; used: string }>(
        sql`select key_id, sum(spent_micros + reserved_micros) as used from budget_usage where key_id in (${a.key.id}, ${b.key.id}) group by key_id order by key_id`,
      );
      const byKey = Object.fromEntries(usage.rows.map((r) => [r.key_id, BigInt(r.used)]));
      expect(byKey[a.key.id]).toBe(BigInt(RESERVE_MICROS * 3));
      expect(byKey[b.key.id]).toBe(BigInt(RESERVE_MICROS * 5));
    } finally {
      await close();
      await cancelAll(
        a.client,
        acceptedA.map((x) => x.id as string),
      );
      await cancelAll(
        b.client,
        acceptedB.map((x) => x.id as string),
      );
    }
  }, 120_000);

  test("max_concurrency caps queued and running executions with 429 and Retry-After", async () => {
    const { client } = await newKey({ max_concurrency: 2 });
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => client.request<Execution | ApiErrorBody>("POST", "/v1/executions", SLOW)),
    );
    const accepted = answers.filter((a) => a.status === 202);
    try {
      expect(accepted).toHaveLength(2);
      const refused = answers.filter((a) => a.status === 429);
      expect(refused).toHaveLength(4);
      const first = refused[0];
      expect(first?.headers.get("retry-after")).toBe("1");
      expect((first?.body as ApiErrorBody | undefined)?.error.code).toBe("concurrency_limit");
    } finally {
      await cancelAll(
        client,
        accepted.map((a) => (a.body as Execution).id),
      );
    }
  });
});

describe("settlement and reports", () => {
  test("budget shows spent after runs settle, and nothing left reserved", async () => {
    const { client } = await newKey({ budget_usd: "1", budget_period: "day" });
    const runs = [
      await run(client, { code: "print(1)" }),
      await run(client, { code: "1/0" }),
      await run(client, { language: "bash", code: "echo hi" }),
    ];
    const spent = runs.reduce((sum, e) => sum + Math.round(Number(e.cost_usd) * 1e6), 0);
    const budget = await client.request<Record<string, string | null>>("GET", "/v1/budget");
    expect(budget.status).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    expect(budget.body).toEqual({
      period: "day",
      period_start: `${today}T00:00:00.000Z`,
      period_end: new Date(Date.parse(`${today}T00:00:00Z`) + 86_400_000).toISOString(),
      limit_usd: "1.000000",
      spent_usd: (spent / 1e6).toFixed(6),
      reserved_usd: "0.000000",
      remaining_usd: ((1e6 - spent) / 1e6).toFixed(6),
      hour: null,
    });
  });

  test("costs group by day, template, language and status, as JSON and CSV; admin groups by key", async () => {
    const { key, client } = await newKey();
    const runs = [
      await run(client, { code: "print(1)" }),
      await run(client, { code: "raise SystemExit(3)" }),
      await run(client, { language: "bash", code: "echo hi" }),
      await run(client, { language: "bash", template: "base", code: "echo base" }),
    ];
    const micros = (e: Execution) => Math.round(Number(e.cost_usd) * 1e6);
    const total = runs.reduce((sum, e) => sum + micros(e), 0);
    const today = new Date().toISOString().slice(0, 10);
    const byLanguage = await client.request<{
      rows: Array<{ group: string; executions: number; cost_usd: string }>;
      total_usd: string;
      executions: number;
    }>("GET", `/v1/costs?from=${today}&to=${today}&group_by=language`);
    expect(byLanguage.status).toBe(200);
    expect(byLanguage.body.total_usd).toBe((total / 1e6).toFixed(6));
    expect(byLanguage.body.executions).toBe(4);
    expect(byLanguage.body.rows.map((r) => [r.group, r.executions])).toEqual([
      ["bash", 2],
      ["python", 2],
    ]);
    const byStatus = await client.request<{ rows: Array<{ group: string; executions: number }> }>("GET", `/v1/costs?group_by=status`);
    expect(byStatus.body.rows.map((r) => [r.group, r.executions])).toEqual([
      ["failed", 1],
      ["succeeded", 3],
    ]);
    const byTemplate = await client.request<{ rows: Array<{ group: string; cost_usd: string }> }>("GET", "/v1/costs?group_by=template");
    const base = runs[3] as Execution;
    expect(byTemplate.body.rows.find((r) => r.group === "base")?.cost_usd).toBe(base.cost_usd);
    const raw = await rawCsv(client, `/v1/costs?from=${today}&to=${today}`);
    expect(raw.split("\n")).toEqual([
      "group,executions,sandbox_ms,cost_usd",
      expect.stringMatching(new RegExp(`^${today},4,\\d+,${(total / 1e6).toFixed(6).replace(".", "\\.")}$`)),
      "",
    ]);
    const adminReport = await admin<{ rows: Array<{ group: string; executions: number; cost_usd: string }> }>(
      "GET",
      `/admin/costs?group_by=key&from=${today}&to=${today}`,
    );
    expect(adminReport.body.rows.find((r) => r.group === key.id)).toEqual({
      group: key.id,
      executions: 4,
      sandbox_ms: expect.any(Number),
      cost_usd: (total / 1e6).toFixed(6),
    });
    const bad = await client.request<ApiErrorBody>("GET", "/v1/costs?from=2026-02-30&group_by=weekday");
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error.details)).toContain("from");
    expect(JSON.stringify(bad.body.error.details)).toContain("group_by");
  });
});

async function rawCsv(client: RunledgerClient, path: string): Promise<string> {
  const headers = await client.signedHeaders("GET", path, "");
  const res = await fetch(`${client.url}${path}`, { headers: { ...headers, accept: "text/csv" } });
  expect(res.headers.get("content-type")).toContain("text/csv");
  return res.text();
}
