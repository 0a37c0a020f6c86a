import { sql } from "drizzle-orm";
import { Sandbox } from "e2b";
import { expect, inject, test } from "vitest";
import type { RunledgerClient } from "../../../client/client.js";
import { type Execution, newKey, openDatabase, waitForFinal } from "../api/harness.js";
import { counts } from "./control.js";
import { HOST_CAP } from "./global-setup.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function submit(client: RunledgerClient, code: string): Promise<string> {
  const res = await client.request<Execution>("POST", "/v1/executions", { code, timeout_ms: 60_000 });
  if (res.status !== 202) throw new Error(`submit: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

// Capacity means wait: against a host that refuses a fourth sandbox, a burst from several keys
// all runs, never more than the cap at once, and nothing ends `error` for want of room.
test("30 one-second runs from three keys against a host capped at 3: all succeed, at most 3 at once", async () => {
  const keys = await Promise.all([1, 2, 3].map(() => newKey({ max_concurrency: 30 })));
  const submitted = await Promise.all(
    keys.flatMap(({ client }) =>
      Array.from({ length: 10 }, () => submit(client, "import time\ntime.sleep(1)\nprint('done')").then((id) => ({ client, id }))),
    ),
  );
  const { db, close } = openDatabase();
  const ids = submitted.map((s) => s.id);
  let mostRunning = 0;
  let mostAlive = 0;
  try {
    for (let settled = false; !settled; await sleep(100)) {
      const [row] = (
        await db.execute<{ running: number; open: number }>(sql`select count(*) filter (where status = 'running')::int as running,
          count(*) filter (where status in ('queued', 'running'))::int as open
          from executions where id in (${sql.join(
            ids.map((id) => sql`${id}`),
            sql`, `,
          )})`)
      ).rows;
      mostRunning = Math.max(mostRunning, row?.running ?? 0);
      mostAlive = Math.max(mostAlive, (await counts()).host.alive);
      settled = row?.open === 0;
    }
  } finally {
    await close();
  }
  const finals = await Promise.all(submitted.map(({ client, id }) => waitForFinal(client, id)));
  expect(finals.map((e) => e.status)).toEqual(finals.map(() => "succeeded"));
  expect(finals.every((e) => e.result?.stdout === "done\n")).toBe(true);
  expect(mostRunning).toBeGreaterThan(0);
  expect(mostRunning).toBeLessThanOrEqual(HOST_CAP);
  expect(mostAlive).toBeLessThanOrEqual(HOST_CAP);
}, 180_000);

test("a provider with no room (its sandboxes taken by another user of the account): runs wait queued, then succeed", async () => {
  const options = { apiKey: inject("sandboxHostKey"), apiUrl: inject("sandboxHostUrl"), sandboxUrl: inject("sandboxHostUrl") };
  const others = await Promise.all(Array.from({ length: HOST_CAP }, () => Sandbox.create(options)));
  const refusedBefore = (await counts()).host.refused;
  const { client } = await newKey();
  let ids: string[] = [];
  try {
    ids = await Promise.all([submit(client, "print('a')"), submit(client, "print('b')")]);
    const deadline = Date.now() + 20_000;
    while ((await counts()).host.refused < refusedBefore + 2 && Date.now() < deadline) await sleep(100);
    expect((await counts()).host.refused).toBeGreaterThanOrEqual(refusedBefore + 2);
    for (const id of ids) expect((await client.request<Execution>("GET", `/v1/executions/${id}`)).body.status).toBe("queued");
  } finally {
    await Promise.all(others.map((sandbox) => sandbox.kill()));
  }
  const finals = await Promise.all(ids.map((id) => waitForFinal(client, id, 60_000)));
  expect(finals.map((e) => [e.status, e.result?.stdout])).toEqual([
    ["succeeded", "a\n"],
    ["succeeded", "b\n"],
  ]);
}, 120_000);

test("fairness: key B's 5 runs, submitted just after key A's 50, do not wait for all of A's", async () => {
  const a = await newKey({ max_concurrency: 50 });
  const b = await newKey({ max_concurrency: 50 });
  const aIds = await Promise.all(Array.from({ length: 50 }, () => submit(a.client, "print('a')")));
  const bIds = await Promise.all(Array.from({ length: 5 }, () => submit(b.client, "print('b')")));
  const aRuns = await Promise.all(aIds.map((id) => waitForFinal(a.client, id, 120_000)));
  const bRuns = await Promise.all(bIds.map((id) => waitForFinal(b.client, id, 120_000)));
  expect([...aRuns, ...bRuns].every((e) => e.status === "succeeded")).toBe(true);
  const starts = (runs: Execution[]) => runs.map((e) => Date.parse(e.started_at ?? "")).sort((x, y) => x - y);
  const aStarts = starts(aRuns);
  const lastB = starts(bRuns).at(-1) ?? Number.POSITIVE_INFINITY;
  // Round-robin: B's runs alternate with A's as slots free, so all of B's start among the first
  // few of A's; oldest first within a key besides.
  const aStartedBeforeLastB = aStarts.filter((at) => at < lastB).length;
  expect(aStartedBeforeLastB, `A had ${aStartedBeforeLastB} of 50 started before B's last`).toBeLessThan(20);
  // Oldest first within a key: a run granted a few places after another never starts first.
  const aByCreation = [...aRuns].sort((x, y) => x.id.localeCompare(y.id)).map((e) => Date.parse(e.started_at ?? ""));
  const overtaken = aByCreation.filter((at, i) => i >= 2 * HOST_CAP && at < (aByCreation[i - 2 * HOST_CAP] ?? 0));
  expect(overtaken).toEqual([]);
}, 180_000);
