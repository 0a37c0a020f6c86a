import { neonConfig } from "@neondatabase/serverless";
import { Sandbox } from "e2b";
import { inject } from "vitest";
import ws from "ws";
import { RunledgerClient, type SignedResponse } from "../../../client/client.js";
import { createDatabase, type DatabaseHandle } from "../../../db/client.js";

export const apiUrl = () => inject("apiUrl");

import type { Execution } from "../../../functions/schemas/execution.js";

export type { Execution };

export interface ApiErrorBody {
  error: { code: string; message: string; request_id: string; details?: unknown };
}

export interface CreatedKey {
  id: string;
  secret: string;
  webhook_secret: string;
  budget_usd: string;
  budget_period: string;
  max_timeout_ms: number;
  max_concurrency: number;
  templates: string[] | null;
}

/** An admin call with the suite's admin token. */
export async function admin<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  token = inject("adminToken"),
): Promise<SignedResponse<T>> {
  const res = await fetch(`${apiUrl()}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T };
}

/** A fresh key for one test, and a client that signs with it. */
export async function newKey(settings: Record<string, unknown> = {}): Promise<{ key: CreatedKey; client: RunledgerClient }> {
  const res = await admin<CreatedKey>("POST", "/admin/keys", { name: "test", budget_usd: "50", budget_period: "day", ...settings });
  if (res.status !== 201) throw new Error(`creating a key failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { key: res.body, client: new RunledgerClient({ url: apiUrl(), keyId: res.body.id, secret: res.body.secret }) };
}

const FINAL = ["succeeded", "failed", "timed_out", "canceled", "error"];

/** Polls an execution until it reaches a final status. */
export async function waitForFinal(client: RunledgerClient, id: string, timeoutMs = 30_000): Promise<Execution> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await client.request<Execution>("GET", `/v1/executions/${id}`);
    if (res.status !== 200) throw new Error(`polling ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    if (FINAL.includes(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`${id} still ${res.body.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Submits code and waits (server side, then by polling) for the final execution. */
export async function run(client: RunledgerClient, body: Record<string, unknown>): Promise<Execution> {
  const res = await client.request<Execution>("POST", "/v1/executions?wait=30", body);
  if (res.status !== 200 && res.status !== 202) throw new Error(`submit failed: ${res.status} ${JSON.stringify(res.body)}`);
  return FINAL.includes(res.body.status) ? res.body : waitForFinal(client, res.body.id);
}

/** Sandboxes still alive on the local sandbox host that were created for this execution. */
export async function sandboxesOf(executionId: string): Promise<string[]> {
  const options = {
    apiUrl: inject("sandboxHostUrl"),
    apiKey: inject("sandboxHostKey"),
    query: { metadata: { runledger_execution: executionId } },
  };
  const page = await Sandbox.list(options as Parameters<typeof Sandbox.list>[0]).nextItems();
  return page.map((s) => s.sandboxId);
}

/**
 * The sandboxes of an execution still alive after up to `withinMs`: a run's kill is confirmed
 * just after its final state is recorded, not before.
 */
export async function sandboxesLeft(executionId: string, withinMs = 5_000): Promise<string[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const alive = await sandboxesOf(executionId);
    if (alive.length === 0 || Date.now() > deadline) return alive;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The stack's Postgres, through the same driver the Worker uses: for checks stated in SQL. */
export function openDatabase(): DatabaseHandle {
  neonConfig.webSocketConstructor = ws;
  return createDatabase({ databaseUrl: inject("databaseUrl"), wsProxy: inject("wsProxy") || undefined });
}
