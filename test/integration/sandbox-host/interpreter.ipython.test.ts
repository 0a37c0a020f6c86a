import { describe, expect, test } from "vitest";
import { withInterpreter } from "./harness.js";

// With IPython installed, Python contexts are IPython's, as E2B's Jupyter kernels are; without it
// the host says so and these tests skip (the fast kernel is covered by the other files).
const fx = withInterpreter();

describe("python contexts are IPython", () => {
  test("the host says which kernel runs python", () => {
    const lines = fx.host.host.isolation.describe().join("\n");
    expect(lines).toMatch(/python contexts: (IPython \S+|the fast kernel)/);
  });

  test("indented cells, !commands and %magics", async (ctx) => {
    if (fx.host.host.isolation.pythonEnv.kernel !== "ipython") ctx.skip();
    const indented = await fx.sandbox.runCode("\n    x = 20\n    x + 22\n    ");
    expect(indented.error).toBeUndefined();
    expect(indented.text).toBe("42");
    const shell = await fx.sandbox.runCode("!pwd");
    expect(shell.logs.stdout.join("").trim()).toBe("/home/user");
    const magic = await fx.sandbox.runCode("%env GREETING=hi\nimport os\nos.environ['GREETING']");
    expect(magic.text).toBe("hi");
  });

  test("display() and IPython.display give results", async (ctx) => {
    if (fx.host.host.isolation.pythonEnv.kernel !== "ipython") ctx.skip();
    const execution = await fx.sandbox.runCode(
      "from IPython.display import HTML, Markdown, display\ndisplay(HTML('<b>bold</b>'))\ndisplay(Markdown('*md*'))\n'last'",
    );
    expect(execution.results.map((r) => [r.html ?? r.markdown, r.isMainResult])).toEqual([
      ["<b>bold</b>", false],
      ["*md*", false],
      [undefined, true],
    ]);
    expect(execution.text).toBe("last");
  });

  test("errors carry IPython's traceback, and the count goes on", async (ctx) => {
    if (fx.host.host.isolation.pythonEnv.kernel !== "ipython") ctx.skip();
    const failed = await fx.sandbox.runCode("def boom():\n    raise KeyError('k')\nboom()");
    expect(failed.error?.name).toBe("KeyError");
    expect(failed.error?.value).toBe("'k'");
    expect(failed.error?.traceback).toContain("boom()");
    const syntax = await fx.sandbox.runCode("def f(:");
    expect(syntax.error?.name).toBe("SyntaxError");
    const first = await fx.sandbox.runCode("1", { onResult: () => {} });
    const second = await fx.sandbox.runCode("2");
    expect((second.executionCount ?? 0) - (first.executionCount ?? 0)).toBe(1);
  });
});
