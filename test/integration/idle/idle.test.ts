import { expect, test } from "vitest";
import { newKey, waitForFinal } from "../api/harness.js";
import { control, counts } from "../capacity/control.js";
import { type IdleReport, WATCH_MS } from "./global-setup.js";

async function idleReport(): Promise<IdleReport> {
  for (;;) {
    const report = await control<IdleReport | { pending: true }>("GET", "/idle-report");
    if (!("pending" in report)) return report;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

// Idle is free: with nothing queued, running or owed, the deployment sends nothing to Postgres
// (so Neon can scale to zero) and nothing to the sandbox provider. The watch began with the test
// run (test/integration/idle/global-setup.ts), after some activity and the sweeps that follow it.
test(
  "three minutes after the stack fell quiet: no statement reached Postgres, no call the provider",
  async () => {
    const report = await idleReport();
    expect(report.activity.postgresStatements).toBeGreaterThan(0);
    expect(report.activity.providerCalls).toBeGreaterThan(0);
    expect(report.watchedMs).toBeGreaterThanOrEqual(WATCH_MS);
    expect(report.watched).toEqual({ postgresStatements: 0, providerCalls: 0 });
  },
  10 * 60_000,
);

test("activity after the quiet wakes it all again: a run goes, and the sweeper watches it", async () => {
  const before = await counts();
  const { client } = await newKey();
  const submitted = await client.request<{ id: string }>("POST", "/v1/executions", { code: "print('awake')" });
  const execution = await waitForFinal(client, submitted.body.id);
  expect(execution.status).toBe("succeeded");
  const report = await control<{ busy: boolean }>("POST", "/sweep");
  expect(report.busy).toBe(true);
  const after = await counts();
  expect(after.postgresStatements).toBeGreaterThan(before.postgresStatements);
  expect(after.host.requests).toBeGreaterThan(before.host.requests);
}, 60_000);
