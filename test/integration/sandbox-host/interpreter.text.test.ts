import { Sandbox } from "@e2b/code-interpreter";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type HostUnderTest, startHost } from "./harness.js";

// A result's text is what E2B's code interpreter answers: a string comes back without its quotes.
let t: HostUnderTest;
let sbx: Sandbox;

beforeAll(async () => {
  t = await startHost();
  sbx = await Sandbox.create("code-interpreter-v1", { ...t.sdk, timeoutMs: 60_000 });
});

afterAll(async () => {
  await sbx?.kill().catch(() => false);
  await t.stop();
});

describe("string results", () => {
  test.each([
    ["python", "'abc'", "abc"],
    ["python", 'import os; os.environ.get("HOME")', "/home/user"],
    ["javascript", "'abc'", "abc"],
    ["typescript", "const s: string = 'abc'; s", "abc"],
  ])("%s: %s reads %s", async (language, code, text) => {
    const execution = await sbx.runCode(code, { language });
    expect(execution.error).toBeUndefined();
    expect(execution.text).toBe(text);
  });

  test("only one pair of surrounding quotes goes, and other results keep theirs", async () => {
    expect((await sbx.runCode(`"it's"`)).text).toBe("it's");
    expect((await sbx.runCode("('a', 'b')")).text).toBe("('a', 'b')");
    expect((await sbx.runCode("[1, 'x']", { language: "js" })).text).toBe("[ 1, 'x' ]");
    expect((await sbx.runCode("42")).text).toBe("42");
  });
});
