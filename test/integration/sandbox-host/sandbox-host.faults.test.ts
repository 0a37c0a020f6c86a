import { Sandbox } from "@e2b/code-interpreter";
import { RateLimitError, TimeoutError } from "e2b";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { type HostUnderTest, startHost } from "./harness.js";

// Each fault the host can inject, seen through the real SDK the way the real failure would be.
let t: HostUnderTest;

beforeAll(async () => {
  t = await startHost({ faults: true });
});

afterEach(async () => {
  await fetch(`${t.host.url}/_local/faults`, { method: "DELETE" });
});

afterAll(async () => {
  await t.stop();
});

describe("fault injection", () => {
  test("create answering 500 is a SandboxError; the next create works", async () => {
    await t.setFaults({ createFailure: { status: 500, count: 1 } });
    await expect(Sandbox.create(t.sdk)).rejects.toThrow(/500/);
    const sbx = await Sandbox.create(t.sdk);
    await sbx.kill();
  });

  test("create answering 429 with Retry-After is a RateLimitError, or retried by the SDK when it may", async () => {
    await t.setFaults({ createFailure: { status: 429, count: 1, retryAfterSeconds: 1 } });
    await expect(Sandbox.create({ ...t.sdk, retries: 0 })).rejects.toBeInstanceOf(RateLimitError);
    await t.setFaults({ createFailure: { status: 429, count: 1, retryAfterSeconds: 1 } });
    const started = Date.now();
    const sbx = await Sandbox.create({ ...t.sdk, retries: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    await sbx.kill();
  });

  test("a delayed create takes at least the delay", async () => {
    await t.setFaults({ createDelay: { ms: 400, count: 1 } });
    const started = Date.now();
    const sbx = await Sandbox.create(t.sdk);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    await sbx.kill();
  });

  test("a stalled execution runs into the SDK's timeout; the sandbox still answers", async () => {
    const sbx = await Sandbox.create(t.sdk);
    await t.setFaults({ stallExecution: { count: 1 } });
    await expect(sbx.runCode("print('never')", { timeoutMs: 1_000 })).rejects.toBeInstanceOf(TimeoutError);
    expect((await sbx.runCode("'alive'")).text).toBe("alive");
    await sbx.kill();
  });

  test("a sandbox killed mid-run breaks the run, and is gone afterwards", async () => {
    const sbx = await Sandbox.create(t.sdk);
    await t.setFaults({ killDuringExecution: { count: 1, afterMs: 200 } });
    await expect(sbx.runCode("import time; time.sleep(10)", { timeoutMs: 20_000 })).rejects.toThrow();
    await expect(Sandbox.getInfo(sbx.sandboxId, t.sdk)).rejects.toThrow(/not found/);
    await expect(sbx.runCode("1")).rejects.toThrow(/not found/);
  });

  test("an unknown fault is refused", async () => {
    const res = await fetch(`${t.host.url}/_local/faults`, { method: "POST", body: JSON.stringify({ meteor: { count: 1 } }) });
    expect(res.status).toBe(400);
  });

  test("without faults enabled there is no fault endpoint", async () => {
    const plain = await startHost();
    try {
      const res = await fetch(`${plain.host.url}/_local/faults`, { method: "POST", body: "{}" });
      expect(res.status).toBe(404);
    } finally {
      await plain.stop();
    }
  });
});

describe("keepalive", () => {
  // The SDK ignores keepalive lines, so this one reads the stream itself.
  test("long runs carry keepalive lines between outputs", async () => {
    const fast = await startHost({ keepaliveMs: 100 });
    try {
      const sbx = await Sandbox.create(fast.sdk);
      const info = sbx as unknown as { envdAccessToken?: string };
      const res = await fetch(`${fast.host.url}/execute`, {
        method: "POST",
        headers: { "E2b-Sandbox-Id": sbx.sandboxId, "E2b-Sandbox-Port": "49999", "X-Access-Token": info.envdAccessToken ?? "" },
        body: JSON.stringify({ code: "import time; time.sleep(0.5); print('done')" }),
      });
      const types = (await res.text())
        .trim()
        .split("\n")
        .map((line) => (JSON.parse(line) as { type: string }).type);
      expect(types.filter((type) => type === "keepalive").length).toBeGreaterThanOrEqual(2);
      expect(types.slice(-2)).toEqual(["number_of_executions", "end_of_execution"]);
      await sbx.kill();
    } finally {
      await fast.stop();
    }
  });
});
