import { Sandbox } from "e2b";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type HostUnderTest, startHost, waitFor } from "./harness.js";

// Pause and resume, listing order and start filter, and metrics over a time range.
let t: HostUnderTest;
const sandboxes: Sandbox[] = [];

async function sandbox(opts: Parameters<typeof Sandbox.create>[1] = {}): Promise<Sandbox> {
  const created = await Sandbox.create("base", { ...t.sdk, timeoutMs: 120_000, ...opts });
  sandboxes.push(created);
  return created;
}

beforeAll(async () => {
  t = await startHost();
});

afterAll(async () => {
  await Promise.all(sandboxes.map((s) => s.kill().catch(() => false)));
  await t.stop();
});

test("pause stops the sandbox and its clock; connect resumes it where it was", async () => {
  const sbx = await sandbox();
  await sbx.commands.run("(while true; do date +%s%3N >> ticks; sleep 0.1; done) &", { background: true });
  await waitFor(() => sbx.files.exists("ticks").then((found) => found || undefined), 10_000, "the ticker");
  expect(await sbx.pause()).toBe(true);
  expect(await Sandbox.pause(sbx.sandboxId, t.sdk)).toBe(false);
  expect((await sbx.getInfo()).state).toBe("paused");
  const paused = await Sandbox.list({ ...t.sdk, query: { state: ["paused"] } }).nextItems();
  expect(paused.map((s) => s.sandboxId)).toContain(sbx.sandboxId);
  expect(await sbx.isRunning()).toBe(false);
  expect((await fetch(await sbx.downloadUrl("ticks"))).status).toBe(502);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const resumed = await Sandbox.connect(sbx.sandboxId, t.sdk);
  expect((await resumed.getInfo()).state).toBe("running");
  // The ticker was stopped too: its ticks, 0.1 s apart, have one gap as long as the pause.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const ticks = (await resumed.files.read("ticks")).trim().split("\n").map(Number);
  const longest = Math.max(...ticks.slice(1).map((tick, i) => tick - (ticks[i] ?? tick)));
  expect(longest).toBeGreaterThanOrEqual(1000);
});

test("a sandbox made to pause on timeout is paused, not killed", async () => {
  const sbx = await sandbox({ timeoutMs: 1_000, lifecycle: { onTimeout: "pause" } });
  await waitFor(async () => ((await sbx.getInfo()).state === "paused" ? true : undefined), 15_000, "the auto-pause");
  const resumed = await Sandbox.connect(sbx.sandboxId, { ...t.sdk, timeoutMs: 60_000 });
  expect((await resumed.commands.run("echo alive")).stdout).toBe("alive\n");
});

test("list answers newest first, honours order and startedAfter", async () => {
  const tag = { listing: String(Date.now()) };
  const first = await sandbox({ metadata: tag });
  await new Promise((resolve) => setTimeout(resolve, 20));
  const second = await sandbox({ metadata: tag });
  const ids = async (opts: object) =>
    (await Sandbox.list({ ...t.sdk, query: { metadata: tag }, ...opts }).nextItems()).map((s) => s.sandboxId);
  expect(await ids({})).toEqual([second.sandboxId, first.sandboxId]);
  expect(await ids({ order: "asc" })).toEqual([first.sandboxId, second.sandboxId]);
  const startedAt = (await second.getInfo()).startedAt;
  const later = await Sandbox.list({ ...t.sdk, query: { metadata: tag, startedAfter: startedAt } }).nextItems();
  expect(later.map((s) => s.sandboxId)).toEqual([second.sandboxId]);
});

test("metrics honour start and end", async () => {
  const sbx = await sandbox();
  // The SDK sends whole seconds; a sample is stamped with the second it was taken in.
  const start = new Date(Date.now() - 2000);
  const now = await sbx.getMetrics({ start, end: new Date(Date.now() + 1000) });
  expect(now.length).toBeGreaterThan(0);
  for (const sample of now) expect(sample.timestamp.getTime()).toBeGreaterThanOrEqual(start.getTime() - 1000);
  const before = await sbx.getMetrics({ start: new Date(start.getTime() - 3_600_000), end: new Date(start.getTime() - 1_800_000) });
  expect(before).toEqual([]);
});
