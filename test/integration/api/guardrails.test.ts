import { sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { describe, expect, test } from "vitest";
import type { RunledgerClient } from "../../../client/client.js";
import { getKey } from "../../../functions/services/keys.js";
import { type ApiErrorBody, admin, type CreatedKey, type Execution, newKey, openDatabase, run } from "./harness.js";
import { submitDirect } from "./ledger-fixture.js";
import { Receiver } from "./receiver.js";

// Guardrails on money (contract §10, §8 tags and timeout_policy), through the public API.
const RATE = 37; // µ$ a second of code-interpreter-v1
const reserveOf = (timeoutMs: number) => RATE * Math.ceil((timeoutMs + 1000) / 1000);
const SLOW = { code: "import time\ntime.sleep(20)", timeout_ms: 20_000 };
const usd = (micros: number) => (micros / 1e6).toFixed(6);

type Delivery = { type: string; data: Record<string, unknown> };

function verified(receiver: Receiver, secret: string): Delivery[] {
  const hook = new Webhook(secret);
  return receiver.received.map((r) => hook.verify(r.body, r.headers as Record<string, string>) as Delivery);
}

async function cancelAll(client: RunledgerClient, ids: string[]): Promise<void> {
  await Promise.all(ids.map((id) => client.request("POST", `/v1/executions/${id}/cancel`)));
}

describe("the hour window", () => {
  test("200 concurrent submits against an hourly limit that fits exactly 7: 7 accepted, never over either window, one alert", async () => {
    const receiver = await Receiver.start();
    const fits = 7;
    const { key, client } = await newKey({
      budget_usd: "100",
      hourly_limit_usd: usd(reserveOf(SLOW.timeout_ms) * fits),
      events_url: receiver.url,
      max_concurrency: 1000,
    });
    const { db, close } = openDatabase();
    const samples: Array<{ period_used: string; hour_used: string }> = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const result = await db.execute<{ period_used: string; hour_used: string }>(sql`select
          (select coalesce(sum(spent_micros + reserved_micros), 0) from budget_usage where key_id = ${key.id}) as period_used,
          (select coalesce(sum(spent_micros + reserved_micros), 0) from hour_usage where key_id = ${key.id}) as hour_used`);
        samples.push(...result.rows);
      }
    })();
    let accepted: string[] = [];
    try {
      const answers = await Promise.all(
        Array.from({ length: 200 }, () => client.request<Execution | ApiErrorBody>("POST", "/v1/executions", SLOW)),
      );
      sampling = false;
      await sampler;
      accepted = answers.flatMap((a) => (a.status === 202 && "id" in a.body ? [a.body.id] : []));
      expect(accepted).toHaveLength(fits);
      const refusals = answers.filter((a) => a.status === 402).map((a) => (a.body as ApiErrorBody).error.details);
      expect(refusals).toHaveLength(200 - fits);
      expect(refusals[0]).toMatchObject({
        window: "hour",
        limit_usd: usd(reserveOf(SLOW.timeout_ms) * fits),
        required_usd: usd(reserveOf(SLOW.timeout_ms)),
      });
      const hourLimit = reserveOf(SLOW.timeout_ms) * fits;
      for (const sample of samples) {
        expect(Number(sample.hour_used)).toBeLessThanOrEqual(hourLimit);
        expect(Number(sample.period_used)).toBeLessThanOrEqual(100e6);
      }
      const budget = await client.request<{ hour: Record<string, string> }>("GET", "/v1/budget");
      expect(budget.body.hour).toMatchObject({ limit_usd: usd(hourLimit), reserved_usd: usd(hourLimit), remaining_usd: "0.000000" });

      // The hour's first refusal sent one alert, and only one.
      await receiver.waitFor(1);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const alerts = verified(receiver, key.webhook_secret).filter((d) => d.type === "budget.hourly_limit_reached");
      expect(alerts).toHaveLength(1);
      expect(alerts[0]?.data).toMatchObject({ key_id: key.id, limit_usd: usd(hourLimit), required_usd: usd(reserveOf(SLOW.timeout_ms)) });
    } finally {
      sampling = false;
      await close();
      await cancelAll(client, accepted);
      await receiver.close();
    }
  }, 120_000);

  test("PATCH with null removes the hourly limit; the budget then shows no hour", async () => {
    const { key, client } = await newKey({ hourly_limit_usd: "0.01" });
    expect(key).toMatchObject({ hourly_limit_usd: "0.010000" });
    const patched = await admin<CreatedKey>("PATCH", `/admin/keys/${key.id}`, { hourly_limit_usd: null });
    expect(patched.body).toMatchObject({ hourly_limit_usd: null });
    expect((await client.request<{ hour: unknown }>("GET", "/v1/budget")).body.hour).toBeNull();
  });
});

describe("budget alerts", () => {
  test("thresholds [50, 100] crossed by 10 concurrent submits: exactly one signed event each, listed with their delivery", async () => {
    const receiver = await Receiver.start();
    const budget = reserveOf(SLOW.timeout_ms) * 10;
    const { key, client } = await newKey({
      budget_usd: usd(budget),
      alert_thresholds: [50, 100],
      events_url: receiver.url,
      max_concurrency: 100,
    });
    let accepted: string[] = [];
    try {
      const answers = await Promise.all(Array.from({ length: 10 }, () => client.request<Execution>("POST", "/v1/executions", SLOW)));
      accepted = answers.map((a) => a.body.id);
      expect(answers.every((a) => a.status === 202)).toBe(true);
      await receiver.waitFor(2);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const events = verified(receiver, key.webhook_secret);
      expect(events.map((e) => [e.type, e.data.threshold_pct]).sort()).toEqual([
        ["budget.threshold_reached", 100],
        ["budget.threshold_reached", 50],
      ]);
      expect(events.find((e) => e.data.threshold_pct === 100)?.data).toMatchObject({
        key_id: key.id,
        period: "day",
        limit_usd: usd(budget),
        spent_usd: "0.000000",
        reserved_usd: usd(budget),
      });
      const listed = await client.request<{ data: Array<{ id: string; type: string; delivery: { status: string } }> }>("GET", "/v1/events");
      expect(listed.body.data.map((e) => [e.type, e.delivery.status])).toEqual([
        ["budget.threshold_reached", "delivered"],
        ["budget.threshold_reached", "delivered"],
      ]);
      expect(listed.body.data.map((e) => e.id).sort()).toEqual(receiver.received.map((r) => String(r.headers["webhook-id"])).sort());
    } finally {
      await cancelAll(client, accepted);
      await receiver.close();
    }
  }, 60_000);

  test("the same thresholds fire again in the next period, once", async () => {
    const { key } = await newKey({
      budget_usd: usd(reserveOf(SLOW.timeout_ms) * 2),
      alert_thresholds: [50],
      events_url: "http://127.0.0.1:9/hook",
    });
    const { db, close } = openDatabase();
    try {
      const full = await getKey(db, key.id);
      const tomorrow = new Date(Date.now() + 24 * 60 * 60 * 1000);
      const dayAfter = new Date(Date.now() + 48 * 60 * 60 * 1000);
      for (const at of [tomorrow, tomorrow, dayAfter])
        await submitDirect(db, full, { now: () => at }, SLOW, BigInt(reserveOf(SLOW.timeout_ms)));
      const fired = await db.execute<{ period_start: string }>(
        sql`select data->>'period_start' as period_start from events where key_id = ${key.id} and type = 'budget.threshold_reached' order by 1`,
      );
      const day = (d: Date) => `${d.toISOString().slice(0, 10)}T00:00:00.000Z`;
      expect(fired.rows.map((r) => r.period_start)).toEqual([day(tomorrow), day(dayAfter)]);
    } finally {
      await close();
    }
  });
});

describe("tags", () => {
  test("stored and returned; ?tag= filters; costs by tag: each tag's own executions, every execution once in the totals", async () => {
    const { client } = await newKey();
    const a = await run(client, { code: "print(1)", tags: ["nightly", "team:data"] });
    const b = await run(client, { code: "print(2)", tags: ["nightly"] });
    const c = await run(client, { code: "print(3)" });
    expect(a.tags).toEqual(["nightly", "team:data"]);
    expect(c.tags).toEqual([]);
    const listed = await client.request<{ data: Execution[] }>("GET", "/v1/executions?tag=team:data");
    expect(listed.body.data.map((e) => e.id)).toEqual([a.id]);

    const cost = (...runs: Execution[]) => usd(runs.reduce((sum, e) => sum + Math.round(Number(e.cost_usd) * 1e6), 0));
    const report = await client.request<{ total_usd: string; executions: number; rows: Array<Record<string, unknown>> }>(
      "GET",
      "/v1/costs?group_by=tag",
    );
    expect(report.body.executions).toBe(3);
    expect(report.body.total_usd).toBe(cost(a, b, c));
    expect(report.body.rows.map((r) => [r.group, r.executions, r.cost_usd])).toEqual([
      ["", 1, cost(c)],
      ["nightly", 2, cost(a, b)],
      ["team:data", 1, cost(a)],
    ]);
    const filtered = await client.request<{ total_usd: string; executions: number }>("GET", "/v1/costs?group_by=language&tag=nightly");
    expect(filtered.body).toMatchObject({ executions: 2, total_usd: cost(a, b) });
    const adminReport = await admin<{ rows: Array<Record<string, unknown>> }>("GET", "/admin/costs?group_by=tag&tag=team:data");
    expect(adminReport.body.rows.map((r) => r.group)).toEqual(["team:data"]);
    const csv = await fetch(`${client.url}/v1/costs?group_by=tag`, {
      headers: { ...(await client.signedHeaders("GET", "/v1/costs?group_by=tag", "")), accept: "text/csv" },
    });
    expect((await csv.text()).split("\n").slice(0, 2)).toEqual(["group,executions,sandbox_ms,cost_usd", `,1,${c.sandbox_ms},${cost(c)}`]);
  });

  test("bad tags are 400 naming the field", async () => {
    const { client } = await newKey();
    for (const tags of [["Bad Tag"], ["x", "x"], Array.from({ length: 9 }, (_, i) => `t${i}`), [""]]) {
      const res = await client.request<ApiErrorBody>("POST", "/v1/executions", { code: "print(1)", tags });
      expect(res.status, JSON.stringify(tags)).toBe(400);
      expect((res.body.error.details as Array<{ field: string }>)[0]?.field).toMatch(/^tags/);
    }
  });
});

describe("timeout_policy fit", () => {
  test("grants the largest whole-second timeout that fits, says so in a header, and is refused when even 1 s does not fit", async () => {
    const budget = reserveOf(9_000) + 20; // fits 9 s, not 10 s
    const { client } = await newKey({ budget_usd: usd(budget) });
    const fitted = await client.request<Execution>("POST", "/v1/executions", {
      code: "print(1)",
      timeout_ms: 60_000,
      timeout_policy: "fit",
    });
    expect(fitted.status).toBe(202);
    expect(fitted.body.timeout_ms).toBe(9_000);
    expect(fitted.body.reserved_usd).toBe(usd(reserveOf(9_000)));
    expect(fitted.headers.get("runledger-timeout-reduced")).toBe("60000");

    const exact = await newKey({ budget_usd: usd(budget) });
    expect((await exact.client.request("POST", "/v1/executions", { code: "print(1)", timeout_ms: 10_000 })).status).toBe(402);
    const fits = await exact.client.request<Execution>("POST", "/v1/executions", {
      code: "print(1)",
      timeout_ms: 9_000,
      timeout_policy: "fit",
    });
    expect(fits.status).toBe(202);
    expect(fits.headers.get("runledger-timeout-reduced")).toBeNull();

    const broke = await newKey({ budget_usd: usd(reserveOf(1_000) - 1) });
    const refused = await broke.client.request<ApiErrorBody>("POST", "/v1/executions", { code: "print(1)", timeout_policy: "fit" });
    expect(refused.status).toBe(402);
    expect(refused.body.error.details).toMatchObject({ window: "period", required_usd: usd(reserveOf(1_000)) });
  });
});

describe("key settings", () => {
  test("bad thresholds are 400 naming alert_thresholds; events_url follows the webhook rules", async () => {
    for (const alert_thresholds of [[0], [101], [50, 50], [10, 20, 30, 40, 50, 60], []]) {
      const res = await admin<ApiErrorBody>("POST", "/admin/keys", { name: "t", budget_usd: "1", budget_period: "day", alert_thresholds });
      expect(res.status, JSON.stringify(alert_thresholds)).toBe(400);
      expect((res.body.error.details as Array<{ field: string }>)[0]?.field).toMatch(/^alert_thresholds/);
    }
    const bad = await admin<ApiErrorBody>("POST", "/admin/keys", {
      name: "t",
      budget_usd: "1",
      budget_period: "day",
      events_url: "ftp://x",
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([expect.objectContaining({ field: "events_url" })]);
    const made = await admin<CreatedKey>("POST", "/admin/keys", { name: "t", budget_usd: "1", budget_period: "day" });
    expect(made.body).toMatchObject({ alert_thresholds: [80, 100], events_url: null, hourly_limit_usd: null, internet_access: true });
  });
});
