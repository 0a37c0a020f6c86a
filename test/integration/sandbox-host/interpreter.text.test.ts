import { describe, expect, test } from "vitest";
import { withInterpreter } from "./harness.js";

// A result's text is what E2B's code interpreter answers: a string comes back without its quotes.
const fx = withInterpreter();

describe("string results", () => {
  test.each([
    ["python", "'abc'", "abc"],
    ["python", 'import os; os.environ.get("HOME")', "/home/user"],
    ["javascript", "'abc'", "abc"],
    ["typescript", "const s: string = 'abc'; s", "abc"],
  ])("%s: %s reads %s", async (language, code, text) => {
    const execution = await fx.sandbox.runCode(code, { language });
    expect(execution.error).toBeUndefined();
    expect(execution.text).toBe(text);
  });

  test("only one pair of surrounding quotes goes, and other results keep theirs", async () => {
    expect((await fx.sandbox.runCode(`"it's"`)).text).toBe("it's");
    expect((await fx.sandbox.runCode("('a', 'b')")).text).toBe("('a', 'b')");
    expect((await fx.sandbox.runCode("[1, 'x']", { language: "js" })).text).toBe("[ 1, 'x' ]");
    expect((await fx.sandbox.runCode("42")).text).toBe("42");
  });
});
