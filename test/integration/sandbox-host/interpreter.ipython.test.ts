import { Sandbox } from "@e2b/code-interpreter";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type HostUnderTest, startHost } from "./harness.js";

// With IPython installed, Python contexts are IPython's, as E2B's Jupyter kernels are; without it
// the host says so and these tests skip (the fast kernel is covered by the other files).
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

describe("python contexts are IPython", () => {
  test("the host says which kernel runs python", () => {
    const lines = t.host.isolation.describe().join("\n");
    expect(lines).toMatch(/python contexts: (IPython \S+|the fast kernel)/);
  });

  test("indented cells, !commands and %magics", async (ctx) => {
    if (t.host.isolation.pythonEnv.kernel !== "ipython") ctx.skip();
    const indented = await sbx.runCode("\n    x = 20\n    x + 22\n    ");
    expect(indented.error).toBeUndefined();
    expect(indented.text).toBe("42");
    const shell = await sbx.runCode("!pwd");
    expect(shell.logs.stdout.join("").trim()).toBe("/home/user");
    const magic = await sbx.runCode("%env GREETING=hi\nimport os\nos.environ['GREETING']");
    expect(magic.text).toBe("hi");
  });

  test("display() and IPython.display give results", async (ctx) => {
    if (t.host.isolation.pythonEnv.kernel !== "ipython") ctx.skip();
    const execution = await sbx.runCode(
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
    if (t.host.isolation.pythonEnv.kernel !== "ipython") ctx.skip();
    const failed = await sbx.runCode("def boom():\n    raise KeyError('k')\nboom()");
    expect(failed.error?.name).toBe("KeyError");
    expect(failed.error?.value).toBe("'k'");
    expect(failed.error?.traceback).toContain("boom()");
    const syntax = await sbx.runCode("def f(:");
    expect(syntax.error?.name).toBe("SyntaxError");
    const first = await sbx.runCode("1", { onResult: () => {} });
    const second = await sbx.runCode("2");
    expect((second.executionCount ?? 0) - (first.executionCount ?? 0)).toBe(1);
  });
});
