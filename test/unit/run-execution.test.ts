import { RateLimitError } from "e2b";
import { describe, expect, test, vi } from "vitest";
import type { ExecutionRow } from "../../db/schema/index.js";
import type { Config } from "../../functions/env.js";
import { type RunHooks, type RunOutcome, runExecution } from "../../functions/services/run-execution.js";
import { FakeSandboxes, fakeTime } from "../support/fake-sandboxes.js";

// The run's orchestration with a fake sandbox provider and clock: every way a run can go, exactly.
const RATE = 37_000_000n; // 37 µ$ a second

function execution(overrides: Partial<ExecutionRow> = {}): ExecutionRow {
  return {
    id: "exe_0000000000000000000000aa",
    keyId: "key_000000000000000000000000",
    status: "queued",
    language: "python",
    template: "code-interpreter-v1",
    timeoutMs: 10_000,
    code: "print(1)",
    env: {},
    files: [],
    inputsCiphertext: null,
    inputsPurgedAt: null,
    metadata: {},
    internet: true,
    outputs: [],
    tags: [],
    hourStart: null,
    webhookUrl: null,
    createdAt: new Date(),
    startedAt: null,
    finishedAt: null,
    sandboxId: null,
    durationMs: null,
    sandboxMs: null,
    periodStart: new Date(),
    ratePicosPerSecond: RATE,
    reservedMicros: 1000n,
    costMicros: null,
    settledAt: null,
    result: null,
    ...overrides,
  };
}

function setup() {
  const time = fakeTime();
  const sandboxes = new FakeSandboxes();
  const config = { OUTPUT_LIMIT_BYTES: 16, RESULTS_LIMIT_BYTES: 1024 } as Config;
  const services = { sandboxes, clock: time.clock, config, sleep: time.sleep };
  return { time, sandboxes, services };
}

const claimed: RunHooks = { claim: async () => true, stillWanted: async () => true };

function ran(outcome: RunOutcome) {
  if (outcome.kind !== "ran") throw new Error(`the run did not run: ${JSON.stringify(outcome)}`);
  return outcome;
}

describe("a run", () => {
  test("that succeeds is billed its sandbox's whole seconds, and its sandbox is killed", async () => {
    const { time, sandboxes, services } = setup();
    sandboxes.script = async (output) => {
      output.stdout("hi\n");
      time.advance(1200);
      return { text: "2", results: [{ text: "2" }], error: null, exitCode: 0 };
    };
    const { outcome, killed } = ran(await runExecution(execution(), services, claimed));
    await killed;
    expect(outcome.status).toBe("succeeded");
    expect(outcome.durationMs).toBe(1200);
    expect(outcome.sandboxMs).toBe(1200);
    expect(outcome.costMicros).toBe(74n);
    expect(outcome.result).toMatchObject({ stdout: "hi\n", text: "2", exit_code: 0, truncated: false });
    expect(sandboxes.killed).toEqual(["sbx_1"]);
  });

  test("retries a failing create, and does not start when the sandbox never comes", async () => {
    const first = setup();
    first.sandboxes.createFailures = 2;
    expect(ran(await runExecution(execution(), first.services, claimed)).outcome.status).toBe("succeeded");
    expect(first.sandboxes.created).toHaveLength(1);

    const never = setup();
    never.sandboxes.createFailures = 3;
    const outcome = await runExecution(execution(), never.services, claimed);
    expect(outcome).toMatchObject({ kind: "not_started" });
    expect(outcome.kind === "not_started" && outcome.reason).toContain("would not start");
    expect(never.sandboxes.killed).toEqual([]);
  });

  test("waits out a provider with no room, however long, and is billed from the create that worked", async () => {
    const { time, sandboxes, services } = setup();
    let refusals = 12;
    const create = sandboxes.create.bind(sandboxes);
    sandboxes.create = async () => {
      if (refusals-- > 0) throw new RateLimitError("Rate limit exceeded, please try again later");
      return create();
    };
    const stillWanted = vi.fn(async () => true);
    const started = time.clock.now().getTime();
    const { outcome } = ran(await runExecution(execution(), services, { ...claimed, stillWanted }));
    expect(outcome.status).toBe("succeeded");
    expect(stillWanted).toHaveBeenCalledTimes(12);
    expect(time.clock.now().getTime() - started).toBeGreaterThan(60_000);
    expect(outcome.sandboxMs).toBe(0);
  });

  test("canceled while it waits for room gives up without a sandbox", async () => {
    const { sandboxes, services } = setup();
    sandboxes.create = async () => {
      throw new RateLimitError("Rate limit exceeded, please try again later");
    };
    const outcome = await runExecution(execution(), services, { ...claimed, stillWanted: async () => false });
    expect(outcome).toEqual({ kind: "not_claimed" });
  });

  test("past its timeout is timed_out, billed until the kill, and its sandbox killed", async () => {
    const { sandboxes, services } = setup();
    sandboxes.script = () => new Promise(() => {});
    const { outcome, killed } = ran(await runExecution(execution({ timeoutMs: 3000 }), services, claimed));
    await killed;
    expect(outcome.status).toBe("timed_out");
    expect(outcome.durationMs).toBe(3000);
    expect(outcome.costMicros).toBe((RATE * 3n) / 1_000_000n);
    expect(sandboxes.killed).toEqual(["sbx_1"]);
  });

  test("whose kill keeps failing still returns its outcome; the failure is logged for the leak sweep", async () => {
    const { sandboxes, services } = setup();
    sandboxes.killFailures = 99;
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const { outcome, killed } = ran(await runExecution(execution(), services, claimed));
    expect(outcome.status).toBe("succeeded");
    await killed;
    expect(errors).toHaveBeenCalledWith(expect.stringContaining("killing sandbox sbx_1 failed"));
    errors.mockRestore();
  });

  test("canceled before its claim runs no code, and its sandbox is killed", async () => {
    const { sandboxes, services } = setup();
    let ran = false;
    sandboxes.script = async () => {
      ran = true;
      return { text: null, results: [], error: null, exitCode: 0 };
    };
    const outcome = await runExecution(execution(), services, { ...claimed, claim: async () => false });
    expect(outcome).toEqual({ kind: "not_claimed" });
    expect(ran).toBe(false);
    expect(sandboxes.killed).toEqual(["sbx_1"]);
  });

  test("whose sandbox breaks under it is an error billed for what ran; output past the cap is cut", async () => {
    const { time, sandboxes, services } = setup();
    sandboxes.script = async (output) => {
      output.stdout("0123456789");
      output.stderr("abcdefghij");
      time.advance(500);
      throw new Error("the sandbox was not found");
    };
    const { outcome } = ran(await runExecution(execution(), services, claimed));
    expect(outcome.status).toBe("error");
    expect(outcome.result).toMatchObject({ stdout: "0123456789", stderr: "abcdef", truncated: true });
    expect(outcome.costMicros).toBe(37n);
  });
});
