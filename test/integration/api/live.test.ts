import { expect, inject, test } from "vitest";
import type { LiveEvent } from "../../../client/types.js";
import { type Execution, newKey, sandboxesLeft, waitForFinal } from "./harness.js";

// Live runs: every run held by a Durable Object of its own, its output streamed as printed, and
// `wait` woken by the run itself. Through the public API, with the real sandbox host.

async function collect(events: AsyncIterable<LiveEvent>, stopAfter?: (event: LiveEvent) => boolean) {
  const seen: Array<LiveEvent & { at: number }> = [];
  for await (const event of events) {
    seen.push({ ...event, at: Date.now() });
    if (stopAfter?.(event)) break;
  }
  return seen;
}

test("output arrives as it is printed, ids increase, and end carries the final execution", async () => {
  const { client } = await newKey();
  const submitted = await client.createExecution({ code: "import time\nprint('a', flush=True)\ntime.sleep(1.5)\nprint('b')" });
  const events = await collect(client.events(submitted.id));
  const output = events.filter((e) => e.event === "stdout");
  expect(output.map((e) => e.data)).toEqual([{ text: "a\n" }, { text: "b\n" }]);
  expect((output[1]?.at ?? 0) - (output[0]?.at ?? 0)).toBeGreaterThan(1000);
  expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
  const end = events.at(-1);
  expect(end?.event).toBe("end");
  expect(end?.data).toEqual(await client.getExecution(submitted.id));
  expect((end as { data: Execution } | undefined)?.data.status).toBe("succeeded");
});

test("a stream resumes after the last id it saw, and a finished run is replayed whole", async () => {
  const { client } = await newKey();
  const submitted = await client.createExecution({ code: "import time\nprint('first', flush=True)\ntime.sleep(1)\nprint('second')" });
  const untilFirst = await collect(client.events(submitted.id), (e) => e.event === "stdout");
  const lastSeen = untilFirst.at(-1)?.id ?? 0;
  const rest = await collect(client.events(submitted.id, { lastEventId: lastSeen }));
  expect(rest.every((e) => e.id > lastSeen)).toBe(true);
  expect(rest.filter((e) => e.event === "stdout").map((e) => e.data)).toEqual([{ text: "second\n" }]);
  expect(rest.at(-1)?.event).toBe("end");

  const replay = await collect(client.events(submitted.id));
  const stdout = replay.flatMap((e) => (e.event === "stdout" ? [e.data.text] : []));
  expect(stdout.join("")).toBe((await client.getExecution(submitted.id)).result?.stdout);
  expect(replay.at(-1)?.event).toBe("end");
});

test("another key's execution has no events to show", async () => {
  const { client } = await newKey();
  const { client: stranger } = await newKey();
  const submitted = await client.createExecution({ code: "print(1)" });
  await expect(collect(stranger.events(submitted.id))).rejects.toMatchObject({ status: 404, code: "not_found" });
});

test("a stream with a malformed Last-Event-ID is refused with the field named", async () => {
  const { client } = await newKey();
  const submitted = await client.createExecution({ code: "print(1)" });
  const res = await client.request("GET", `/v1/executions/${submitted.id}/events`, undefined, { "last-event-id": "seven" });
  expect(res.status).toBe(400);
  expect(JSON.stringify(res.body)).toContain("Last-Event-ID");
});

test("wait answers as soon as the final status is in the ledger, for a submit and for a read", async () => {
  const { client } = await newKey();
  const res = await client.request<Execution>("POST", "/v1/executions?wait=30", { code: "import time\ntime.sleep(1)\nprint(1)" });
  const answeredAt = Date.now();
  expect(res.status).toBe(200);
  expect(res.body.status).toBe("succeeded");
  // Generous: the bench measures it (results.live); this only proves there is no polling interval.
  expect(answeredAt - Date.parse(res.body.finished_at as string)).toBeLessThan(250);

  const running = await client.createExecution({ code: "import time\ntime.sleep(1.5)" });
  const held = await client.getExecution(running.id, { wait: 30 });
  expect(Date.now() - Date.parse(held.finished_at as string)).toBeLessThan(250);
  expect(held.status).toBe("succeeded");
});

test("the runs consumer hands runs over at once: a second run starts and ends while a long one runs", async () => {
  const { client } = await newKey();
  const long = await client.createExecution({ code: "import time\ntime.sleep(10)", timeout_ms: 30_000 });
  const quick = await client.run({ code: "print('quick')" }, { wait: 30 });
  expect(quick.status).toBe("succeeded");
  const meanwhile = await client.getExecution(long.id);
  expect(meanwhile.status).toBe("running");
  expect(Date.parse(quick.finished_at as string)).toBeLessThan(Date.parse(meanwhile.started_at as string) + 10_000);
  await client.cancelExecution(long.id);
});

test("a holder whose runtime restarts mid-run still ends the run by its alarm, with the sandbox gone", async () => {
  const { client } = await newKey();
  const submitted = await client.createExecution({ code: "import time\nprint('started', flush=True)\ntime.sleep(600)", timeout_ms: 4000 });
  await collect(client.events(submitted.id), (e) => e.event === "stdout");
  const restart = await fetch(`${inject("controlUrl")}/worker/restart`, { method: "POST" });
  expect(restart.status).toBe(204);
  // Within the run's deadline plus the sandbox's grace (30 s) and a heartbeat (10 s).
  const ended = await waitForFinal(client, submitted.id, 60_000);
  expect(ended.status).toBe("error");
  expect(ended.result?.error?.value).toContain("interrupted");
  expect(ended.sandbox_ms).toBeGreaterThan(0);
  expect(await sandboxesLeft(submitted.id)).toEqual([]);
}, 90_000);
