import { expect, test } from "vitest";
import type { Execution } from "../api/harness.js";
import { newKey, waitForFinal } from "../api/harness.js";
import { control } from "./control.js";
import { HOST_CAP } from "./global-setup.js";

const LEASE_MS = 3000;

// A holder that dies holding a slot (it took its lease and never renewed it) does not keep the
// slot: the lease lapses and the next run in line gets it.
test("every slot held by dead holders: a run waits queued until their leases lapse, then runs", async () => {
  const takenAt = Date.now();
  for (let i = 0; i < HOST_CAP; i++) {
    const decision = await control<string>("POST", "/governor/acquire", {
      executionId: `exe_dead_holder_${takenAt}_${i}`,
      keyId: "key_gone",
    });
    expect(decision).toBe("granted");
  }
  expect(await control("GET", "/governor/usage")).toMatchObject({ held: HOST_CAP, max: HOST_CAP });
  const { client } = await newKey();
  const submitted = await client.request<Execution>("POST", "/v1/executions", { code: "print('after the lapse')" });
  expect(submitted.status).toBe(202);
  await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 2));
  expect((await client.request<Execution>("GET", `/v1/executions/${submitted.body.id}`)).body.status).toBe("queued");
  const execution = await waitForFinal(client, submitted.body.id, 30_000);
  expect(execution.status).toBe("succeeded");
  expect(execution.result?.stdout).toBe("after the lapse\n");
  expect(Date.parse(execution.started_at ?? "")).toBeGreaterThanOrEqual(takenAt + LEASE_MS);
  // The run's holder gives its slot back just after recording the end.
  await expect.poll(() => control("GET", "/governor/usage"), { timeout: 5000 }).toMatchObject({ held: 0, waiting: 0 });
}, 60_000);
