import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { RunledgerClient } from "../../../client/client.js";
import type { DatabaseHandle } from "../../../db/client.js";
import { type ApiErrorBody, admin, type CreatedKey, type Execution, newKey, openDatabase } from "./harness.js";

// The Worker keeps keys in memory for a short while, so that a submit is one round trip. Nothing
// that spends money or shows data trusts that copy: a key changed behind the Worker's back (here,
// straight in the database, so no isolate hears of it) is refused by the database's own checks.
let handle: DatabaseHandle;
beforeAll(() => {
  handle = openDatabase();
});
afterAll(() => handle.close());

async function warm(client: RunledgerClient): Promise<void> {
  expect((await client.request("GET", "/v1/budget")).status).toBe(200);
}

/** One request sent twice with the same signature, as a captured request would be. */
async function sendTwice(client: RunledgerClient, body: unknown) {
  const text = JSON.stringify(body);
  const headers = { ...(await client.signedHeaders("POST", "/v1/executions", text)), "content-type": "application/json" };
  const send = async () => {
    const res = await fetch(`${client.url}/v1/executions`, { method: "POST", headers, body: text });
    return { status: res.status, body: (await res.json()) as ApiErrorBody };
  };
  return [await send(), await send()];
}

test("a key revoked behind the Worker's back: submits and reads are refused at once", async () => {
  const { key, client } = await newKey();
  await warm(client);
  await handle.db.execute(sql`update keys set revoked_at = now() where id = ${key.id}`);
  const submit = await client.request<ApiErrorBody>("POST", "/v1/executions", { code: "print(1)" });
  expect(submit.status).toBe(403);
  expect(submit.body.error.code).toBe("key_revoked");
  const read = await client.request<ApiErrorBody>("GET", "/v1/executions");
  expect(read.status).toBe(403);
});

test("limits lowered behind the Worker's back hold at once: budget, templates, timeout, internet", async () => {
  const { key, client } = await newKey({ budget_usd: "1" });
  await warm(client);
  await handle.db.execute(
    sql`update keys set templates = array['base'], max_timeout_ms = 5000, internet_access = false where id = ${key.id}`,
  );
  const template = await client.request<ApiErrorBody>("POST", "/v1/executions", { code: "print(1)" });
  expect(template.body.error.code).toBe("template_not_allowed");
  const timeout = await client.request<ApiErrorBody>("POST", "/v1/executions", {
    language: "bash",
    code: "echo",
    template: "base",
    timeout_ms: 6000,
  });
  expect(timeout.body.error.details).toEqual([expect.objectContaining({ field: "timeout_ms" })]);
  const offline = await client.request<Execution>("POST", "/v1/executions", {
    language: "bash",
    code: "echo",
    template: "base",
    timeout_ms: 5000,
  });
  expect(offline.status).toBe(202);
  expect(offline.body.internet).toBe(false);
  await handle.db.execute(sql`update keys set budget_micros = 0 where id = ${key.id}`);
  const broke = await client.request<ApiErrorBody>("POST", "/v1/executions", {
    language: "bash",
    code: "echo",
    template: "base",
    timeout_ms: 5000,
  });
  expect(broke.body.error.code).toBe("budget_exceeded");
});

test("a rotated secret signs at once, and the previous one keeps working through its grace", async () => {
  const { key, client } = await newKey();
  await warm(client);
  const rotated = await admin<{ secret: string }>("POST", `/admin/keys/${key.id}/rotate`);
  const { RunledgerClient: Client } = await import("../../../client/client.js");
  const fresh = new Client({ url: client.url, keyId: key.id, secret: rotated.body.secret });
  expect((await fresh.request("POST", "/v1/executions", { code: "print(1)" })).status).toBe(202);
  expect((await client.request("POST", "/v1/executions", { code: "print(1)" })).status).toBe(202);
});

test("a secret replaced behind the Worker's back no longer submits, though this isolate still knows it", async () => {
  const { key, client } = await newKey();
  await warm(client);
  const other = (await admin<CreatedKey>("POST", "/admin/keys", { name: "donor", budget_usd: "1", budget_period: "day" })).body;
  await handle.db.execute(sql`update keys set secret_ciphertext = (select secret_ciphertext from keys where id = ${other.id}),
    previous_secret_ciphertext = null where id = ${key.id}`);
  const refused = await client.request<ApiErrorBody>("POST", "/v1/executions", { code: "print(1)" });
  expect(refused.status).toBe(401);
});

test("a submit refused (budget, schema) and then resent with the same signature is a replay", async () => {
  const { client } = await newKey({ budget_usd: "0.000001" });
  const [first, second] = await sendTwice(client, { code: "print(1)" });
  expect(first?.body.error.code).toBe("budget_exceeded");
  expect(second?.body.error.code).toBe("replayed_request");
  const [bad, again] = await sendTwice(client, { code: "" });
  expect(bad?.body.error.code).toBe("invalid_request");
  expect(again?.body.error.code).toBe("replayed_request");
});
