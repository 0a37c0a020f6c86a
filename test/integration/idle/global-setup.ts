import type { TestProject } from "vitest/node";
import { RunledgerClient } from "../../../client/client.js";
import type { Stack } from "../../../local/stack.js";
import { setUpTestStack } from "../../support/test-stack.js";
import { Receiver } from "../api/receiver.js";

const SWEEP_INTERVAL_MS = 5000;
/** How long the quiet stack is watched. */
export const WATCH_MS = 3 * 60_000;

export interface IdleReport {
  /** What the activity sent: proof that the counters count. */
  activity: Snapshot;
  /** From the activity's end until the last statement or provider call. */
  quietAfterMs: number;
  watchedMs: number;
  /** What reached Postgres and the provider while watched. */
  watched: Snapshot;
}

interface Snapshot {
  postgresStatements: number;
  providerCalls: number;
}

/**
 * The idle suite's stack, and its scenario, started with the run so that the minutes it watches
 * pass while the other suites go: some activity (runs that succeed and fail, a webhook that needs
 * a retry), then the wait for quiet, then three minutes watched. GET /idle-report on the control
 * server answers 202 until the report is ready.
 */
export default function setup(project: TestProject) {
  return setUpTestStack(
    project,
    { workerVars: { SWEEP_INTERVAL_MS: String(SWEEP_INTERVAL_MS), WEBHOOK_RETRY_SCHEDULE: "1,1,1" } },
    (stack, adminToken) => {
      let report: IdleReport | undefined;
      let failure: Error | undefined;
      idleScenario(stack, adminToken).then(
        (done) => {
          report = done;
        },
        (error: Error) => {
          failure = error;
        },
      );
      return {
        "GET /idle-report": async () => {
          if (failure) throw failure;
          return report ?? { pending: true };
        },
      };
    },
  );
}

async function idleScenario(stack: Stack, adminToken: string): Promise<IdleReport> {
  const snapshot = async (): Promise<Snapshot> => ({
    postgresStatements: stack.databaseStatements(),
    providerCalls: (await stack.sandboxHost?.stats())?.requests ?? 0,
  });
  const difference = (later: Snapshot, earlier: Snapshot): Snapshot => ({
    postgresStatements: later.postgresStatements - earlier.postgresStatements,
    providerCalls: later.providerCalls - earlier.providerCalls,
  });
  const receiver = (await Receiver.start()).reply({ status: 500 });
  try {
    const before = await snapshot();
    const res = await fetch(`${stack.url}/admin/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "idle", budget_usd: "5", budget_period: "day" }),
    });
    if (res.status !== 201) throw new Error(`creating a key: ${res.status} ${await res.text()}`);
    const key = (await res.json()) as { id: string; secret: string };
    const client = new RunledgerClient({ url: stack.url, keyId: key.id, secret: key.secret });
    const submitted = await Promise.all([
      client.createExecution({ code: "print('hello')", webhook_url: receiver.url }),
      client.createExecution({ code: "1/0" }),
      client.createExecution({ code: "import time\ntime.sleep(0.5)" }),
    ]);
    for (const execution of submitted) await client.waitForExecution(execution.id, { timeoutMs: 60_000 });
    await receiver.waitFor(2, 60_000);
    const activity = difference(await snapshot(), before);

    // Quiet: nothing new for four sweep intervals.
    const activityEnded = Date.now();
    let last = await snapshot();
    let lastChange = activityEnded;
    while (Date.now() - lastChange < 4 * SWEEP_INTERVAL_MS) {
      if (Date.now() - activityEnded > 5 * 60_000) throw new Error("the stack did not fall quiet within 5 minutes of its last activity");
      await new Promise((resolve) => setTimeout(resolve, 500));
      const now = await snapshot();
      if (now.postgresStatements !== last.postgresStatements || now.providerCalls !== last.providerCalls) lastChange = Date.now();
      last = now;
    }
    const start = await snapshot();
    const watchStart = Date.now();
    await new Promise((resolve) => setTimeout(resolve, WATCH_MS));
    return {
      activity,
      quietAfterMs: lastChange - activityEnded,
      watchedMs: Date.now() - watchStart,
      watched: difference(await snapshot(), start),
    };
  } finally {
    await receiver.close();
  }
}
