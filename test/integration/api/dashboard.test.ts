import { mkdirSync } from "node:fs";
import { beforeAll, describe, expect, inject, test } from "vitest";
import type { RunledgerClient } from "../../../client/client.js";
import { signDashboardLink } from "../../../functions/services/dashboard-link.js";
import { describeInBrowser, guardedPage } from "./browser.js";
import { type ApiErrorBody, admin, apiUrl, type CreatedKey, type Execution, newKey, run } from "./harness.js";
import { Receiver } from "./receiver.js";

interface Link {
  url: string;
  expires_at: string;
}
interface CostReport {
  from: string;
  to: string;
  total_usd: string;
  rows: Array<{ group: string; executions: number; sandbox_ms: number; cost_usd: string }>;
}
interface Budget {
  hour: { limit_usd: string; spent_usd: string; reserved_usd: string; remaining_usd: string } | null;
  period: string;
  limit_usd: string;
  spent_usd: string;
  reserved_usd: string;
  remaining_usd: string;
}

const SCREENSHOT = ".runledger/screenshots/dashboard.png";

let key: CreatedKey;
let client: RunledgerClient;
let runs: Execution[];

/** Every UTC day from `from` to `to`, inclusive. */
function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000)
    out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** A link as the Worker would sign it, for cases no route issues (an expired link, one that lives too long). */
async function forgeLink(keyId: string, signedAt: Date, seconds: number): Promise<string> {
  const link = await signDashboardLink(inject("secretEncryptionKey"), keyId, signedAt, seconds);
  return `${apiUrl()}${link.path}?expires=${link.expires}&sig=${link.sig}`;
}

async function page(url: string, init?: RequestInit) {
  const res = await fetch(url, { redirect: "manual", ...init });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

beforeAll(async () => {
  ({ key, client } = await newKey({ name: "nightly reports", budget_usd: "2", budget_period: "month", hourly_limit_usd: "1" }));
  // Different languages and final statuses, all run for real in the local sandbox host.
  runs = [
    await run(client, { language: "python", code: "print(6*7)", tags: ["nightly", "team:data"] }),
    await run(client, { language: "python", code: "raise ValueError('nope')", tags: ["nightly"] }),
    await run(client, { language: "javascript", code: "console.log([1,2,3].map(x => x * 2))" }),
    await run(client, { language: "bash", code: "echo hi; exit 3" }),
    await run(client, { language: "python", code: "import time\ntime.sleep(20)", timeout_ms: 1000 }),
  ];
}, 120_000);

describe("dashboard links", () => {
  test("the executions behind the dashboard ended as intended", () => {
    expect(runs.map((r) => r.status)).toEqual(["succeeded", "failed", "succeeded", "failed", "timed_out"]);
  });

  test("the key holder gets a signed link to its own dashboard; the lifetime is bounded", async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await client.request<Link>("POST", "/v1/dashboard-link", { expires_in: 3600 });
    const after = Math.ceil(Date.now() / 1000);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const url = new URL(res.body.url);
    expect(url.origin).toBe(new URL(apiUrl()).origin);
    expect(url.pathname).toBe(`/dashboard/${key.id}`);
    expect(url.searchParams.get("sig")).toMatch(/^[0-9a-f]{64}$/);
    const expires = Number(url.searchParams.get("expires"));
    expect(expires * 1000).toBe(Date.parse(res.body.expires_at));
    expect(expires).toBeGreaterThanOrEqual(before + 3600);
    expect(expires).toBeLessThanOrEqual(after + 3600);
    for (const expires_in of [59, 86_401, 1.5]) {
      const bad = await client.request<ApiErrorBody>("POST", "/v1/dashboard-link", { expires_in });
      expect(bad.status, JSON.stringify(bad.body)).toBe(400);
      expect(JSON.stringify(bad.body.error.details)).toContain("expires_in");
    }
    const unsigned = await fetch(`${apiUrl()}/v1/dashboard-link`, { method: "POST" });
    expect(unsigned.status).toBe(401);
  });

  test("an administrator gets a link for any key, 15 minutes by default; not for a missing or revoked key", async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await admin<Link>("POST", `/admin/keys/${key.id}/dashboard-link`);
    const after = Math.ceil(Date.now() / 1000);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const expires = Number(new URL(res.body.url).searchParams.get("expires"));
    expect(expires).toBeGreaterThanOrEqual(before + 900);
    expect(expires).toBeLessThanOrEqual(after + 900);
    expect((await page(res.body.url)).status).toBe(200);
    const missing = await admin<ApiErrorBody>("POST", "/admin/keys/key_0000000000000000000000zz/dashboard-link");
    expect(missing.status).toBe(404);
    const revoked = await newKey();
    await admin("DELETE", `/admin/keys/${revoked.key.id}`);
    const refused = await admin<ApiErrorBody>("POST", `/admin/keys/${revoked.key.id}/dashboard-link`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("key_revoked");
    expect((await admin("POST", `/admin/keys/${key.id}/dashboard-link`, undefined, "wrong-token-wrong-token")).status).toBe(401);
  });

  test("expired, tampered, over-long and incomplete links are refused with a page that says so", async () => {
    const good = (await client.request<Link>("POST", "/v1/dashboard-link")).body.url;
    const other = await newKey();
    const url = new URL(good);
    const sig = url.searchParams.get("sig") ?? "";
    const expires = url.searchParams.get("expires") ?? "";
    const flipped = sig.replace(/^./, (c) => (c === "0" ? "1" : "0"));
    const cases: Array<[string, string, RegExp]> = [
      ["expired", await forgeLink(key.id, new Date(Date.now() - 3_600_000), 900), /expired/],
      ["tampered signature", `${apiUrl()}/dashboard/${key.id}?expires=${expires}&sig=${flipped}`, /signature does not match/],
      ["tampered expiry", `${apiUrl()}/dashboard/${key.id}?expires=${Number(expires) + 60}&sig=${sig}`, /signature does not match/],
      ["another key's id", `${apiUrl()}/dashboard/${other.key.id}?expires=${expires}&sig=${sig}`, /signature does not match/],
      ["longer than 24 h", await forgeLink(key.id, new Date(Date.now() + 2 * 86_400_000), 900), /24 hours/],
      ["no signature", `${apiUrl()}/dashboard/${key.id}?expires=${expires}`, /incomplete: it has no sig\./],
      ["no expiry", `${apiUrl()}/dashboard/${key.id}?sig=${sig}`, /incomplete: it has no expires\./],
      // Both present, so not "incomplete": a signature cut short, or an expiry that is not a number.
      ["signature cut short", `${apiUrl()}/dashboard/${key.id}?expires=${expires}&sig=${sig.slice(0, 40)}`, /signature does not match/],
      ["expiry not a number", `${apiUrl()}/dashboard/${key.id}?expires=${expires}x&sig=${sig}`, /signature does not match/],
      ["no key id", `${apiUrl()}/dashboard/nobody?expires=${expires}&sig=${sig}`, /does not name a key/],
    ];
    for (const [name, link, says] of cases) {
      const res = await page(link);
      expect(res.status, name).toBe(401);
      expect(res.headers.get("content-type"), name).toContain("text/html");
      expect(res.text, name).toContain('data-error-code="unauthorized"');
      expect(res.text, name).toMatch(says);
      expect(res.text, name).toContain(res.headers.get("x-request-id") ?? "no request id");
      expect(res.text, name).not.toContain('data-day="');
    }
    for (const [name, link] of cases) expect((await page(link)).text, name).not.toContain("needs both");
    expect((await page(good)).status).toBe(200);
  });

  test("each execution id links to its detail: output, cost, tags and webhook deliveries, behind the same link", async () => {
    // A key of its own: its tag must not show in the other tests' figures.
    const own = await newKey();
    const receiver = await Receiver.start();
    try {
      receiver.reply({ status: 503 });
      const hooked = await run(own.client, {
        code: "print('detail')\nraise SystemExit(3)",
        tags: ["detail-view"],
        webhook_url: receiver.url,
      });
      await receiver.waitFor(2);
      const link = (await own.client.request<Link>("POST", "/v1/dashboard-link")).body.url;
      const dashboard = await page(link);
      const href = new RegExp(`href="(/dashboard/${own.key.id}/executions/${hooked.id}\\?expires=\\d+&amp;sig=[0-9a-f]{64})"`).exec(
        dashboard.text,
      )?.[1];
      if (!href) throw new Error(`no link to ${hooked.id} in the dashboard:\n${dashboard.text}`);
      let detail = await page(`${apiUrl()}${href.replaceAll("&amp;", "&")}`);
      for (let tries = 0; !detail.text.includes('data-attempt="2"') && tries < 50; tries++) {
        await new Promise((r) => setTimeout(r, 100));
        detail = await page(`${apiUrl()}${href.replaceAll("&amp;", "&")}`);
      }
      expect(detail.status, detail.text).toBe(200);
      expect(detail.headers.get("content-security-policy")).toContain("default-src 'none'");
      expect(detail.text).toContain('<pre data-stream="stdout">detail\n</pre>');
      expect(detail.text).toMatch(/data-fact="exit code"><th>exit code<\/th><td>3<\/td>/);
      expect(detail.text).toMatch(new RegExp(`data-fact="cost"><th>cost</th><td>\\$${hooked.cost_usd?.replace(".", "\\.")}</td>`));
      expect(detail.text).toMatch(/data-fact="tags"><th>tags<\/th><td>detail-view<\/td>/);
      expect(detail.text).toMatch(/data-attempt="1"><td class="num">1<\/td><td>[^<]+<\/td><td class="num">503<\/td>/);
      expect(detail.text).toMatch(/data-attempt="2"><td class="num">2<\/td><td>[^<]+<\/td><td class="num">200<\/td>/);

      const url = new URL(`${apiUrl()}${href.replaceAll("&amp;", "&")}`);
      const other = await newKey();
      const foreign = await page(
        `${apiUrl()}/dashboard/${own.key.id}/executions/${(await run(other.client, { code: "1" })).id}${url.search}`,
      );
      expect(foreign.status).toBe(404);
      const tampered = await page(`${apiUrl()}${url.pathname}?expires=${url.searchParams.get("expires")}&sig=${"0".repeat(64)}`);
      expect(tampered.status).toBe(401);
    } finally {
      await receiver.close();
    }
  });

  test("a link to a key revoked since is refused with 403", async () => {
    const { key: doomed, client: doomedClient } = await newKey();
    const link = (await doomedClient.request<Link>("POST", "/v1/dashboard-link")).body.url;
    expect((await page(link)).status).toBe(200);
    await admin("DELETE", `/admin/keys/${doomed.id}`);
    const res = await page(link);
    expect(res.status).toBe(403);
    expect(res.text).toContain('data-error-code="key_revoked"');
  });

  test("a bad range is a 400 page", async () => {
    const link = (await client.request<Link>("POST", "/v1/dashboard-link")).body.url;
    for (const range of ["from=2026-13-01", "from=2026-02-10&to=2026-02-01", "from=2020-01-01&to=2026-01-01"]) {
      const res = await page(`${link}&${range}`);
      expect(res.status, range).toBe(400);
      expect(res.text, range).toContain('data-error-code="invalid_request"');
    }
  });

  test("the admin token opens a dashboard directly (bearer) or through the form (a redirect to a signed link)", async () => {
    const bearer = await page(`${apiUrl()}/dashboard?key=${key.id}`, { headers: { authorization: `Bearer ${inject("adminToken")}` } });
    expect(bearer.status).toBe(200);
    expect(bearer.text).toContain(`data-day="`);
    const wrong = await page(`${apiUrl()}/dashboard?key=${key.id}`, { headers: { authorization: "Bearer not-the-admin-token" } });
    expect(wrong.status).toBe(401);
    const form = await page(`${apiUrl()}/dashboard`);
    expect(form.status).toBe(200);
    expect(form.text).toContain('name="token"');
    const post = (token: string) =>
      page(`${apiUrl()}/dashboard`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ key: key.id, token }).toString(),
      });
    const signedIn = await post(inject("adminToken"));
    expect(signedIn.status).toBe(303);
    const location = signedIn.headers.get("location") ?? "";
    expect(location).toMatch(new RegExp(`^/dashboard/${key.id}\\?expires=\\d+&sig=[0-9a-f]{64}$`));
    expect((await page(`${apiUrl()}${location}`)).status).toBe(200);
    const refused = await post("not-the-admin-token");
    expect(refused.status).toBe(401);
    expect(refused.headers.get("location")).toBeNull();
  });
});

describeInBrowser("the dashboard in a browser", (browser) => {
  test("shows the same figures as /v1/costs and /v1/budget, asks nothing of any other origin, and takes a screenshot", async () => {
    const origin = new URL(apiUrl()).origin;
    const link = (await client.request<Link>("POST", "/v1/dashboard-link")).body.url;
    const guarded = await guardedPage(browser(), origin, { viewport: { width: 1200, height: 900 } });
    const { page: tab } = guarded;
    try {
      const res = await tab.goto(link, { waitUntil: "load" });
      expect(res?.status()).toBe(200);
      expect(await tab.locator("h1").textContent()).toContain("nightly reports");

      // The range the page shows: by default the last 30 days, to today (UTC).
      const from = await tab.locator('input[name="from"]').inputValue();
      const to = await tab.locator('input[name="to"]').inputValue();
      expect(days(from, to)).toHaveLength(30);

      const costs = await client.request<CostReport>("GET", `/v1/costs?group_by=day&from=${from}&to=${to}`);
      expect(costs.status).toBe(200);
      expect(costs.body.rows.length).toBeGreaterThan(0);
      expect(costs.body.total_usd).not.toBe("0.000000");
      const bars = await tab.locator("svg.chart rect.bar").evaluateAll((rects) =>
        rects.map((r) => ({
          day: r.getAttribute("data-day"),
          cost: r.getAttribute("data-cost-usd"),
          title: r.querySelector("title")?.textContent ?? "",
          height: Number(r.getAttribute("height")),
        })),
      );
      expect(bars.map((b) => b.day)).toEqual(days(from, to));
      const byDay = new Map(costs.body.rows.map((row) => [row.group, row.cost_usd]));
      for (const bar of bars) {
        expect(bar.cost, bar.day ?? "").toBe(byDay.get(bar.day ?? "") ?? "0.000000");
        expect(bar.title).toContain(`$${bar.cost}`);
        expect(bar.height > 0, `${bar.day} height ${bar.height}`).toBe(bar.cost !== "0.000000");
      }
      for (const row of costs.body.rows) expect(bars.find((b) => b.day === row.group)?.cost, row.group).toBe(row.cost_usd);
      expect(await tab.locator('[data-field="total_usd"]').textContent()).toBe(`$${costs.body.total_usd}`);

      const budget = await client.request<Budget>("GET", "/v1/budget");
      for (const field of ["limit_usd", "spent_usd", "reserved_usd", "remaining_usd"] as const) {
        expect(await tab.locator(`[data-field="${field}"]`).textContent(), field).toBe(`$${budget.body[field]}`);
      }
      expect(await tab.locator('[data-field="period"]').textContent()).toBe(budget.body.period);
      for (const field of ["limit_usd", "spent_usd", "reserved_usd", "remaining_usd"] as const) {
        expect(await tab.locator(`[data-field="hour.${field}"]`).textContent(), `hour.${field}`).toBe(`$${budget.body.hour?.[field]}`);
      }

      const byStatus = await client.request<CostReport>("GET", `/v1/costs?group_by=status&from=${from}&to=${to}`);
      const statusRows = await tab
        .locator("#by-status tbody tr")
        .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute("data-group"), tr.getAttribute("data-cost-usd")]));
      expect(statusRows).toEqual(byStatus.body.rows.map((r) => [r.group, r.cost_usd]));
      expect(statusRows.map(([group]) => group).sort()).toEqual(["failed", "succeeded", "timed_out"]);
      const byTemplate = await client.request<CostReport>("GET", `/v1/costs?group_by=template&from=${from}&to=${to}`);
      const templateRows = await tab
        .locator("#by-template tbody tr")
        .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute("data-group"), tr.getAttribute("data-cost-usd")]));
      expect(templateRows).toEqual(byTemplate.body.rows.map((r) => [r.group, r.cost_usd]));
      const byTag = await client.request<CostReport>("GET", `/v1/costs?group_by=tag&from=${from}&to=${to}`);
      const tagRows = await tab
        .locator("#by-tag tbody tr")
        .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute("data-group"), tr.getAttribute("data-cost-usd")]));
      expect(tagRows).toEqual(byTag.body.rows.map((r) => [r.group || "(untagged)", r.cost_usd]));
      expect(tagRows.map(([group]) => group)).toEqual(["(untagged)", "nightly", "team:data"]);

      const latest = await tab
        .locator("#latest tbody tr")
        .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute("data-execution"), tr.getAttribute("data-status")]));
      expect(latest).toEqual([...runs].reverse().map((r) => [r.id, r.status]));

      mkdirSync(".runledger/screenshots", { recursive: true });
      await tab.screenshot({ path: SCREENSHOT, fullPage: true });

      // The range form works without scripts, and keeps the link's signature.
      await tab.locator('input[name="from"]').fill(to);
      await tab.locator('button[type="submit"]').click();
      await tab.waitForURL(/from=/);
      expect(await tab.locator("svg.chart rect.bar").count()).toBe(1);
      expect(await tab.locator("svg.chart rect.bar").getAttribute("data-cost-usd")).toBe(byDay.get(to) ?? "0.000000");

      expect(guarded.requested.length).toBeGreaterThan(1);
      expect(guarded.requested.every((url) => new URL(url).origin === origin)).toBe(true);
      expect(guarded.external).toEqual([]);
      expect(guarded.consoleErrors).toEqual([]);
    } finally {
      await guarded.context.close();
    }
  });

  test("an expired link shows a refusal page, not the dashboard", async () => {
    const guarded = await guardedPage(browser(), new URL(apiUrl()).origin);
    try {
      const res = await guarded.page.goto(await forgeLink(key.id, new Date(Date.now() - 86_400_000), 900));
      expect(res?.status()).toBe(401);
      expect(await guarded.page.locator("h1").textContent()).toBe("This link has expired");
      expect(await guarded.page.locator("svg.chart").count()).toBe(0);
      expect(guarded.external).toEqual([]);
    } finally {
      await guarded.context.close();
    }
  });
});
