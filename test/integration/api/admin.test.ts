import { describe, expect, test } from "vitest";
import { type ApiErrorBody, admin, apiUrl, type CreatedKey, newKey } from "./harness.js";

describe("admin keys", () => {
  test("create shows the secrets once, in the contract's forms; list and get never show them", async () => {
    const created = await admin<CreatedKey & { name: string; created_at: string }>("POST", "/admin/keys", {
      name: "ci",
      budget_usd: 12.5,
      budget_period: "month",
    });
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^key_[0-9a-hjkmnp-tv-z]{24}$/);
    expect(created.body.secret).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
    expect(created.body.webhook_secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.body).toMatchObject({
      name: "ci",
      budget_usd: "12.500000",
      budget_period: "month",
      max_timeout_ms: 300000,
      max_concurrency: 10,
      templates: null,
    });
    const one = await admin<Record<string, unknown>>("GET", `/admin/keys/${created.body.id}`);
    expect(one.status).toBe(200);
    expect(JSON.stringify(one.body)).not.toContain(created.body.secret);
    expect(one.body).not.toHaveProperty("secret");
    const all = await admin<{ data: Array<Record<string, unknown>> }>("GET", "/admin/keys");
    expect(all.body.data.map((k) => k.id)).toContain(created.body.id);
    expect(JSON.stringify(all.body)).not.toContain("sk_");
    expect(JSON.stringify(all.body)).not.toContain("whsec_");
  });

  test("patch changes budget and limits for the next submit", async () => {
    const { key, client } = await newKey({ budget_usd: "0.001" });
    expect((await client.request<ApiErrorBody>("POST", "/v1/executions", { code: "1" })).status).toBe(402);
    const patched = await admin<CreatedKey>("PATCH", `/admin/keys/${key.id}`, {
      budget_usd: "1",
      max_concurrency: 2,
      templates: ["code-interpreter-v1"],
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ budget_usd: "1.000000", max_concurrency: 2, templates: ["code-interpreter-v1"] });
    expect((await client.request("POST", "/v1/executions", { code: "1" })).status).toBe(202);
    const bad = await admin<ApiErrorBody>("PATCH", `/admin/keys/${key.id}`, { budget_usd: "-3" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("invalid_request");
  });

  test("revoking a key answers it with revoked_at", async () => {
    const { key } = await newKey();
    const revoked = await admin<{ revoked_at: string | null }>("DELETE", `/admin/keys/${key.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).not.toBeNull();
  });

  test("the admin token is required and compared exactly", async () => {
    const wrong = await admin<ApiErrorBody>("GET", "/admin/keys", undefined, "not-the-token");
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("unauthorized");
    const none = await fetch(`${apiUrl()}/admin/keys`);
    expect(none.status).toBe(401);
    const missing = await admin<ApiErrorBody>("GET", "/admin/keys/key_0000000000000000000000zz");
    expect(missing.status).toBe(404);
    const invalid = await admin<ApiErrorBody>("POST", "/admin/keys", { name: "x", budget_usd: "1.1234567", budget_period: "week" });
    expect(invalid.status).toBe(400);
    expect(JSON.stringify(invalid.body.error.details)).toContain("budget_usd");
    expect(JSON.stringify(invalid.body.error.details)).toContain("budget_period");
  });
});

describe("open routes", () => {
  test("healthz checks the database, livez the Worker alone; openapi.json describes every route", async () => {
    const health = await fetch(`${apiUrl()}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", database: "ok" });
    const live = await fetch(`${apiUrl()}/livez`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: "ok" });
    const spec = (await (await fetch(`${apiUrl()}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(spec.openapi).toBe("3.1.0");
    expect(Object.keys(spec.paths).sort()).toEqual(
      [
        "/admin/costs",
        "/admin/keys",
        "/admin/keys/{id}",
        "/admin/keys/{id}/rotate",
        "/admin/keys/{id}/dashboard-link",
        "/dashboard",
        "/dashboard/{key_id}",
        "/dashboard/{key_id}/executions/{id}",
        "/docs",
        "/healthz",
        "/livez",
        "/openapi.json",
        "/v1/budget",
        "/v1/costs",
        "/v1/dashboard-link",
        "/v1/events",
        "/v1/executions",
        "/v1/executions/{id}",
        "/v1/executions/{id}/cancel",
        "/v1/executions/{id}/deliveries",
        "/v1/executions/{id}/events",
        "/v1/executions/{id}/redeliver",
      ].sort(),
    );
  });

  test("docs is a page of this origin: every script it names is served here, none from elsewhere", async () => {
    const docs = await fetch(`${apiUrl()}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-type")).toContain("text/html");
    const page = await docs.text();
    expect(page).not.toMatch(/src="(https?:)?\/\/|href="(https?:)?\/\/|@import/i);
    const scripts = [...page.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1] as string);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      const asset = await fetch(`${apiUrl()}${src}`);
      expect(asset.status, src).toBe(200);
      expect(asset.headers.get("content-type"), src).toContain("javascript");
      await asset.arrayBuffer();
    }
  });

  test("an unknown route is a JSON 404 with a request id", async () => {
    const res = await fetch(`${apiUrl()}/nowhere`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as ApiErrorBody;
    expect(body.error.code).toBe("not_found");
    expect(body.error.request_id).toBe(res.headers.get("x-request-id"));
  });
});
