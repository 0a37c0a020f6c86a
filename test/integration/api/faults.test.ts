import { sql } from "drizzle-orm";
import { afterAll, afterEach, describe, expect, inject, test } from "vitest";
import type { RunledgerClient } from "../../../client/client.js";
import { type ApiErrorBody, type Execution, newKey, openDatabase, run, sandboxesOf, waitForFinal } from "./harness.js";
import { Receiver } from "./receiver.js";

// Faults, through the public API: the sandbox host's fault injection and a real Postgres that
// this suite stops and starts. Each scenario checks that nothing is lost: the execution reaches a
// final status, no sandbox is left, and no money stays reserved.
const outcomes: Array<{ fault: string; survived: boolean; lost: number }> = [];

async function faults(plan: Record<string, unknown> | null): Promise<void> {
  const url = `${inject("sandboxHostUrl")}/_local/faults`;
  await fetch(url, plan ? { method: "POST", body: JSON.stringify(plan) } : { method: "DELETE" });
}

async function postgres(action: "stop" | "start"): Promise<void> {
  const res = await fetch(`${inject("controlUrl")}/postgres/${action}`, { method: "POST" });
  if (res.status !== 204) throw new Error(`postgres ${action} failed: ${res.status} ${await res.text()}`);
}

async function reserved(client: RunledgerClient): Promise<string> {
  return (await client.request<{ reserved_usd: string }>("GET", "/v1/budget")).body.reserved_usd;
}

/** Runs a scenario, records whether it held, and rethrows what failed. */
async function scenario(fault: string, body: () => Promise<number>): Promise<void> {
  try {
    const lost = await body();
    outcomes.push({ fault, survived: lost === 0, lost });
    expect(lost).toBe(0);
  } catch (error) {
    outcomes.push({ fault, survived: false, lost: 1 });
    throw error;
  }
}

afterEach(async () => {
  await faults(null);
});

afterAll(() => {
  const width = Math.max(...outcomes.map((o) => o.fault.length));
  console.log(
    ["", "fault".padEnd(width), ...outcomes.map((o) => `${o.fault.padEnd(width)}  ${o.survived ? "survived" : "LOST"}`)].join("\n"),
  );
  const survived = outcomes.filter((o) => o.survived).length;
  console.log(`faults: ${survived} survived, ${outcomes.reduce((sum, o) => sum + o.lost, 0)} lost`);
});

describe("sandbox faults", () => {
  test("sandbox creation answering 500 twice: retried, and the run succeeds", async () => {
    await scenario("create 500, 500, then ok", async () => {
      const { client } = await newKey();
      await faults({ createFailure: { status: 500, count: 2 } });
      const execution = await run(client, { code: "print('third time')" });
      expect(execution.status, JSON.stringify(execution)).toBe("succeeded");
      return (await sandboxesOf(execution.id)).length + (execution.status === "succeeded" ? 0 : 1);
    });
  });

  test("sandbox creation answering 429 with Retry-After: retried, and the run succeeds", async () => {
    await scenario("create 429 with Retry-After", async () => {
      const { client } = await newKey();
      await faults({ createFailure: { status: 429, count: 2, retryAfterSeconds: 1 } });
      const execution = await run(client, { code: "print('later')" });
      expect(execution.status, JSON.stringify(execution)).toBe("succeeded");
      return (await sandboxesOf(execution.id)).length;
    });
  });

  test("sandbox creation failing every time: error, nothing charged, nothing reserved", async () => {
    await scenario("create 500 on every attempt", async () => {
      const { client } = await newKey();
      await faults({ createFailure: { status: 500, count: 3 } });
      const execution = await run(client, { code: "print(1)" });
      expect(execution).toMatchObject({ status: "error", cost_usd: "0.000000" });
      return (await reserved(client)) === "0.000000" ? 0 : 1;
    });
  });

  test("a sandbox that dies mid-run: error, its time billed, nothing reserved, none left", async () => {
    await scenario("sandbox killed mid-run", async () => {
      const { client } = await newKey();
      await faults({ killDuringExecution: { count: 1, afterMs: 300 } });
      const execution = await run(client, { code: "import time\nprint('working', flush=True)\ntime.sleep(20)", timeout_ms: 30_000 });
      expect(execution.status, JSON.stringify(execution)).toBe("error");
      expect(execution.result?.error?.name).toBe("PlatformError");
      expect(Number(execution.cost_usd)).toBeGreaterThan(0);
      return (await sandboxesOf(execution.id)).length + ((await reserved(client)) === "0.000000" ? 0 : 1);
    });
  });

  test("a stalled execution: timed_out at timeout_ms, its sandbox killed", async () => {
    await scenario("execution stalls", async () => {
      const { client } = await newKey();
      await faults({ stallExecution: { count: 1 } });
      const execution = await run(client, { code: "print('never seen')", timeout_ms: 2000 });
      expect(execution.status, JSON.stringify(execution)).toBe("timed_out");
      return (await sandboxesOf(execution.id)).length + ((await reserved(client)) === "0.000000" ? 0 : 1);
    });
  });
});

describe("consumer faults", () => {
  test("the run consumer failing after the sandbox was created: reaped, killed, settled, webhook once", async () => {
    await scenario("run consumer fails after sandbox create", async () => {
      const receiver = await Receiver.start();
      try {
        const { client } = await newKey();
        const submitted = await client.request<Execution>("POST", "/v1/executions", {
          code: "import time\nprint('started', flush=True)\ntime.sleep(1.5)",
          timeout_ms: 2000,
          webhook_url: receiver.url,
        });
        // Once the code is seen running (not merely its sandbox made: on a busy machine the claim
        // can come later), the database goes away while the code runs, for longer than the consumer keeps retrying
        // (about 3 s): the consumer cannot record the end and gives up.
        for await (const event of client.events(submitted.body.id)) if (event.event === "stdout") break;
        await postgres("stop");
        await new Promise((resolve) => setTimeout(resolve, 6000));
        await postgres("start");
        // Past its deadline and the reaper's grace, a sweep ends it.
        await new Promise((resolve) => setTimeout(resolve, 4000));
        await fetch(`${inject("controlUrl")}/sweep`, { method: "POST" });
        const execution = await waitForFinal(client, submitted.body.id, 30_000);
        expect(execution.status, JSON.stringify(execution)).toBe("error");
        expect(execution.result?.error?.value).toContain("interrupted");
        await receiver.waitFor(1);
        await new Promise((resolve) => setTimeout(resolve, 1500));
        expect(receiver.received).toHaveLength(1);
        return (await sandboxesOf(execution.id)).length + ((await reserved(client)) === "0.000000" ? 0 : 1);
      } finally {
        await receiver.close();
      }
    });
  }, 120_000);
});

describe("database faults", () => {
  test("Postgres down from mid-run until after the holder's heartbeat: the run still ends, not stuck running", async () => {
    await scenario("Postgres down while a run ends", async () => {
      const { client } = await newKey();
      const submitted = (await client.request<Execution>("POST", "/v1/executions", { code: "import time\ntime.sleep(1.5)\nprint('done')" }))
        .body;
      for (let seen = submitted; seen.status === "queued"; ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        seen = (await client.request<Execution>("GET", `/v1/executions/${submitted.id}`)).body;
      }
      await postgres("stop");
      try {
        // The run ends while the database is down; recording its end gives up after its retries,
        // and the holder's heartbeat (10 s) comes while it is still down.
        await new Promise((resolve) => setTimeout(resolve, 13_000));
      } finally {
        await postgres("start");
      }
      const final = await waitForFinal(client, submitted.id, 30_000);
      expect(["succeeded", "error"]).toContain(final.status);
      return 0;
    });
  }, 90_000);

  test("Postgres stopped during a burst: 503 with Retry-After meanwhile, every accepted run finishes, none half-written", async () => {
    await scenario("Postgres stopped during a burst of submits", async () => {
      const { key, client } = await newKey({ max_concurrency: 100 });
      const answers = new Map<number, { status: number; id?: string }>();
      const submit = async (i: number) => {
        const res = await client.request<Execution | ApiErrorBody>(
          "POST",
          "/v1/executions",
          { code: `print(${i})` },
          { "idempotency-key": `burst-${i}` },
        );
        if (res.status === 503) {
          expect((res.body as ApiErrorBody).error.code).toBe("unavailable");
          expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
        }
        answers.set(i, { status: res.status, id: (res.body as Execution).id });
      };
      for (let i = 0; i < 10; i++) await submit(i);
      await postgres("stop");
      try {
        // Down, as a monitor sees it: /healthz says so; /livez never asks the database.
        expect((await fetch(`${inject("apiUrl")}/healthz`)).status).toBe(503);
        expect((await fetch(`${inject("apiUrl")}/livez`)).status).toBe(200);
        for (let i = 10; i < 20; i++) await submit(i);
      } finally {
        await postgres("start");
      }
      for (let i = 20; i < 30; i++) await submit(i);
      const during = [...answers.entries()].filter(([i]) => i >= 10 && i < 20).map(([, a]) => a.status);
      expect(during.every((s) => s === 503)).toBe(true);
      // The client retries what it was told failed, with the same Idempotency-Key.
      for (const [i, answer] of answers) if (answer.status === 503) await submit(i);
      const ids = new Set([...answers.values()].map((a) => a.id));
      expect([...answers.values()].filter((a) => a.status !== 202 && a.status !== 200)).toEqual([]);
      expect(ids.size).toBe(30);
      // Runs caught by the outage itself may end `error` (the platform could not run them); none is stuck.
      for (const id of ids) expect(["succeeded", "error"]).toContain((await waitForFinal(client, id as string, 90_000)).status);
      const { db, close } = openDatabase();
      try {
        const rows = await db.execute<{ id: string }>(sql`select id from executions where key_id = ${key.id}`);
        const inLedger = new Set(rows.rows.map((r) => r.id));
        return [...ids].filter((id) => !inLedger.has(id as string)).length + [...inLedger].filter((id) => !ids.has(id)).length;
      } finally {
        await close();
      }
    });
  }, 180_000);
});
