import { Sandbox } from "@e2b/code-interpreter";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type HostUnderTest, startHost } from "./harness.js";

// When a client gives up on a run (its timeout), the run is interrupted, so the context's next
// run starts at once; and the default contexts are listed, as E2B's code interpreter does.
let t: HostUnderTest;
let sbx: Sandbox;

beforeAll(async () => {
  t = await startHost();
  sbx = await Sandbox.create("code-interpreter-v1", { ...t.sdk, timeoutMs: 120_000 });
});

afterAll(async () => {
  await sbx?.kill().catch(() => false);
  await t.stop();
});

describe("a run the client dropped is interrupted", () => {
  test.each([
    ["python", "x = 41\nimport time\ntime.sleep(300)", "x + 1", "42"],
    ["javascript", "var y = 41; while (true) {}", "y + 1", "42"],
    ["javascript", "var z = 41; await new Promise(() => {})", "z + 1", "42"],
    ["bash", "sleep 300", "echo next", undefined],
  ])("%s: %s", async (language, stuck, next, text) => {
    await expect(sbx.runCode(stuck, { language, timeoutMs: 1_000 })).rejects.toThrow(/timed out/i);
    const started = Date.now();
    const execution = await sbx.runCode(next, { language, timeoutMs: 10_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(execution.error).toBeUndefined();
    if (text === undefined) expect(execution.logs.stdout).toEqual(["next\n"]);
    else expect(execution.text).toBe(text);
  });

  test("an interrupted python cell keeps the context's state", async () => {
    const context = await sbx.createCodeContext({ language: "python" });
    await sbx.runCode("kept = 'yes'", { context });
    await expect(sbx.runCode("while True: pass", { context, timeoutMs: 1_000 })).rejects.toThrow(/timed out/i);
    expect((await sbx.runCode("kept", { context, timeoutMs: 5_000 })).text).toBe("yes");
  });
});

describe("default contexts", () => {
  test("python's and javascript's are listed first, and run the code sent with a language", async () => {
    const fresh = await Sandbox.create("code-interpreter-v1", { ...t.sdk, timeoutMs: 60_000 });
    try {
      const created = await fresh.createCodeContext({ language: "python" });
      const listed = await fresh.listCodeContexts();
      expect(listed.map((c) => c.language)).toEqual(["python", "javascript", "python"]);
      expect(listed[2]?.id).toBe(created.id);
      const python = listed[0];
      await fresh.runCode("shared = 7");
      expect((await fresh.runCode("shared", { context: python })).text).toBe("7");
      expect(python?.cwd).toBe("/home/user");
    } finally {
      await fresh.kill();
    }
  });
});
