import { describe, expect, test } from "vitest";
import { withInterpreter } from "./harness.js";

// JavaScript and TypeScript cells: static imports and top-level await, as in E2B's JavaScript kernel.
const fx = withInterpreter();

describe.each(["javascript", "typescript"])("%s", (language) => {
  test("static imports work, and can run again", async () => {
    const code =
      "import { readFileSync } from 'fs'\nimport * as path from 'node:path'\nimport os from 'os'\nconsole.log(typeof readFileSync, typeof path.join, typeof os.cpus)";
    for (let i = 0; i < 2; i++) {
      const execution = await fx.sandbox.runCode(code, { language });
      expect(execution.error).toBeUndefined();
      expect(execution.logs.stdout).toEqual(["function function function\n"]);
    }
  });

  test("top-level await returns its value and keeps the cell's declarations", async () => {
    const execution = await fx.sandbox.runCode(`const answer = await Promise.resolve(41)\nawait Promise.resolve('Hello World!')`, {
      language,
    });
    expect(execution.error).toBeUndefined();
    expect(execution.text).toBe("Hello World!");
    expect((await fx.sandbox.runCode("answer + 1", { language })).text).toBe("42");
  });

  test("a rejected await is the cell's error", async () => {
    const execution = await fx.sandbox.runCode("await Promise.reject(new RangeError('too far'))", { language });
    expect(execution.error?.name).toBe("RangeError");
    expect(execution.error?.value).toBe("too far");
  });
});
