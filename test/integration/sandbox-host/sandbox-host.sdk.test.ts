import { Sandbox } from "@e2b/code-interpreter";
import { Sandbox as BaseSandbox, CommandExitError, FileNotFoundError } from "e2b";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type HostUnderTest, processesOf, startHost, stillAlive, waitFor } from "./harness.js";

// The local sandbox host driven only through the unmodified E2B SDK packages.
let t: HostUnderTest;
const sandboxes: Sandbox[] = [];

async function sandbox(opts: Parameters<typeof Sandbox.create>[1] = {}): Promise<Sandbox> {
  const created = await Sandbox.create("code-interpreter-v1", { ...t.sdk, timeoutMs: 60_000, ...opts });
  sandboxes.push(created);
  return created;
}

beforeAll(async () => {
  t = await startHost();
});

afterAll(async () => {
  await Promise.all(sandboxes.map((s) => s.kill().catch(() => false)));
  await t.stop();
});

describe("code interpreter", () => {
  test("state persists between runCode calls, and the last expression is the result", async () => {
    const sbx = await sandbox();
    await sbx.runCode("x = 1");
    const execution = await sbx.runCode("x+=1; x");
    expect(execution.text).toBe("2");
    expect(execution.error).toBeUndefined();
  });

  test("python prints, results and rich results", async () => {
    const sbx = await sandbox();
    const execution = await sbx.runCode(
      "class Page:\n    def _repr_html_(self):\n        return '<b>hi</b>'\nprint('out')\nimport sys; print('err', file=sys.stderr)\nPage()",
    );
    expect(execution.logs).toEqual({ stdout: ["out\n"], stderr: ["err\n"] });
    expect(execution.results).toHaveLength(1);
    expect(execution.results[0]?.html).toBe("<b>hi</b>");
    expect(execution.results[0]?.isMainResult).toBe(true);
  });

  test("output of child processes is captured too", async () => {
    const sbx = await sandbox();
    const execution = await sbx.runCode("import subprocess\nsubprocess.run(['echo', 'from a child'])\n'done'");
    expect(execution.logs.stdout.join("")).toBe("from a child\n");
    expect(execution.text).toBe("done");
  });

  test("an exception comes back as execution.error with name, value and traceback", async () => {
    const sbx = await sandbox();
    const execution = await sbx.runCode("def explode():\n    raise ValueError('boom')\n\nexplode()");
    expect(execution.error?.name).toBe("ValueError");
    expect(execution.error?.value).toBe("boom");
    expect(execution.error?.traceback).toContain("in explode");
    expect(execution.error?.traceback).toContain("raise ValueError('boom')");
    const after = await sbx.runCode("1 + 1");
    expect(after.text).toBe("2");
  });

  test("top-level await works in python", async () => {
    const sbx = await sandbox();
    const execution = await sbx.runCode("import asyncio\nawait asyncio.sleep(0.01)\n6 * 7");
    expect(execution.text).toBe("42");
  });

  test("javascript keeps state and returns the last expression", async () => {
    const sbx = await sandbox();
    await sbx.runCode("let total = 40; function add(n) { return total + n }", { language: "javascript" });
    const execution = await sbx.runCode("console.log('js says hi'); add(2)", { language: "javascript" });
    expect(execution.text).toBe("42");
    expect(execution.logs.stdout).toEqual(["js says hi\n"]);
    const failed = await sbx.runCode("null.field", { language: "js" });
    expect(failed.error?.name).toBe("TypeError");
  });

  test("typescript runs with its types stripped", async () => {
    const sbx = await sandbox();
    const execution = await sbx.runCode("interface P { n: number }\nconst p: P = { n: 6 };\np.n * 7", { language: "typescript" });
    expect(execution.error).toBeUndefined();
    expect(execution.text).toBe("42");
    const broken = await sbx.runCode("const x: = 1", { language: "typescript" });
    expect(broken.error?.name).toBe("SyntaxError");
  });

  test("bash keeps its working directory and variables; a failing cell is an error", async () => {
    const sbx = await sandbox();
    await sbx.runCode("cd /tmp && GREETING=hello", { language: "bash" });
    const execution = await sbx.runCode("pwd; echo $GREETING", { language: "bash" });
    expect(execution.logs.stdout.join("")).toBe("/tmp\nhello\n");
    const failed = await sbx.runCode("false", { language: "bash" });
    expect(failed.error?.name).toBe("NonZeroExit");
  });

  test("a language the host cannot run is refused clearly", async () => {
    const sbx = await sandbox();
    const execution = await sbx.runCode("1 + 1", { language: "r" });
    expect(execution.error?.name).toBe("UnsupportedLanguage");
    expect(execution.error?.value).toContain("python, javascript, typescript and bash");
  });

  test("contexts are separate namespaces with their own working directory", async () => {
    const sbx = await sandbox();
    const context = await sbx.createCodeContext({ language: "python", cwd: "/tmp" });
    await sbx.runCode("y = 'in context'", { context });
    expect((await sbx.runCode("import os; (y, os.getcwd())", { context })).text).toBe("('in context', '/tmp')");
    expect((await sbx.runCode("'y' in dir()")).text).toBe("False");
    const listed = await sbx.listCodeContexts();
    expect(listed.map((c) => c.id)).toContain(context.id);
    await sbx.removeCodeContext(context);
    await expect(sbx.runCode("y", { context })).rejects.toThrow();
  });

  test("stdout streams while the code is still running", async () => {
    const sbx = await sandbox();
    // The cell waits for a file that the test writes only once it has seen the first line:
    // unless output streams, the cell never finishes.
    const seen: string[] = [];
    const execution = await sbx.runCode(
      "import os, sys, time\nprint('waiting', flush=True)\nprint('warning', file=sys.stderr, flush=True)\nwhile not os.path.exists('go'):\n    time.sleep(0.01)\nprint('released')",
      {
        onStdout: (message) => {
          seen.push(message.line);
          if (message.line === "waiting\n") void sbx.files.write("go", "");
        },
        onStderr: (message) => seen.push(`stderr:${message.line}`),
        timeoutMs: 20_000,
      },
    );
    expect(seen).toEqual(["waiting\n", "stderr:warning\n", "released\n"]);
    expect(execution.logs.stdout).toEqual(["waiting\n", "released\n"]);
  });

  test("per-run env vars apply to that run only; sandbox env vars to all", async () => {
    const sbx = await sandbox({ envs: { TEAM: "ledger" } });
    const execution = await sbx.runCode("import os; (os.environ['TEAM'], os.environ['ONCE'])", { envs: { ONCE: "yes" } });
    expect(execution.text).toBe("('ledger', 'yes')");
    expect((await sbx.runCode("import os; os.environ.get('ONCE')")).text).toBeUndefined();
  });

  test("matplotlib figures come back as PNG results", async (ctx) => {
    const sbx = await sandbox();
    const probe = await sbx.runCode("import importlib.util; importlib.util.find_spec('matplotlib') is not None");
    if (probe.text !== "True") ctx.skip(true, "matplotlib is not importable on this machine");
    const execution = await sbx.runCode("import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()");
    const figure = execution.results.find((r) => r.png);
    expect(figure?.png?.slice(0, 8)).toBe(Buffer.from("\x89PNG\r\n\x1a\n", "latin1").toString("base64").slice(0, 8));
  });
});

describe("envd", () => {
  test("files are written and read back, text and bytes", async () => {
    const sbx = await sandbox();
    await sbx.files.write("notes/today.txt", "ünïcode text");
    expect(await sbx.files.read("/home/user/notes/today.txt")).toBe("ünïcode text");
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    await sbx.files.write([
      { path: "/home/user/a.bin", data: bytes.buffer },
      { path: "b.txt", data: "b" },
    ]);
    expect(Array.from(await sbx.files.read("a.bin", { format: "bytes" }))).toEqual([0, 1, 2, 250, 255]);
    expect((await sbx.runCode("open('notes/today.txt').read()")).text).toBe("ünïcode text");
    await expect(sbx.files.read("missing.txt")).rejects.toBeInstanceOf(FileNotFoundError);
  });

  test("a file larger than one line of the host's channel to the sandbox comes back whole", async () => {
    const sbx = await sandbox();
    const big = new Uint8Array(5 * 1024 * 1024).map((_, i) => (i * 7919) % 251);
    await sbx.files.write("big.bin", big.buffer);
    const back = await sbx.files.read("big.bin", { format: "bytes" });
    expect(back.length).toBe(big.length);
    expect(Buffer.from(back).equals(Buffer.from(big))).toBe(true);
  });

  test("commands run with cwd and env, stream output, and report a non-zero exit", async () => {
    const sbx = await sandbox();
    const lines: string[] = [];
    const result = await sbx.commands.run("echo out; echo err >&2; pwd; echo $WHO", {
      cwd: "/tmp",
      envs: { WHO: "runledger" },
      onStdout: (line) => {
        lines.push(line);
      },
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("out\n/tmp\nrunledger\n");
    expect(result.stderr).toBe("err\n");
    expect(lines.join("")).toBe(result.stdout);
    const failure = await sbx.commands.run("echo partial; exit 3").catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CommandExitError);
    expect((failure as CommandExitError).exitCode).toBe(3);
    expect((failure as CommandExitError).stdout).toBe("partial\n");
  });

  test("a background command can be killed", async () => {
    const sbx = await sandbox();
    const handle = await sbx.commands.run("sleep 30", { background: true });
    expect(await handle.kill()).toBe(true);
    const outcome = await handle.wait().catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(CommandExitError);
  });

  test("the base template has envd but no code interpreter, as on E2B", async () => {
    const base = await BaseSandbox.create("base", { ...t.sdk, timeoutMs: 60_000 });
    try {
      expect((await base.commands.run("echo hi")).stdout).toBe("hi\n");
      const info = await base.getInfo();
      expect({ cpuCount: info.cpuCount, memoryMB: info.memoryMB }).toEqual({ cpuCount: 2, memoryMB: 512 });
      const asInterpreter = await Sandbox.connect(base.sandboxId, t.sdk);
      await expect(asInterpreter.runCode("1")).rejects.toThrow(/port is not open/);
    } finally {
      await base.kill();
    }
  });
});

describe("control plane", () => {
  test("getInfo reports the template's size and the sandbox's metadata", async () => {
    const sbx = await sandbox({ metadata: { purpose: "info" } });
    const info = await sbx.getInfo();
    expect(info).toMatchObject({
      templateId: "code-interpreter-v1",
      cpuCount: 2,
      memoryMB: 2048,
      state: "running",
      metadata: { purpose: "info" },
    });
    const metrics = await sbx.getMetrics();
    expect(metrics[0]?.cpuCount).toBe(2);
    expect(metrics[0]?.memTotal).toBe(2048 * 1024 * 1024);
  });

  test("an unknown template gets E2B's not-found error", async () => {
    await expect(Sandbox.create("no-such-template", t.sdk)).rejects.toThrow("template 'no-such-template' not found");
  });

  test("list filters by metadata and pages", async () => {
    const run = `list-${Date.now()}`;
    const [one, two] = await Promise.all([sandbox({ metadata: { run, n: "1" } }), sandbox({ metadata: { run, n: "2" } })]);
    const all = await Sandbox.list({ ...t.sdk, query: { metadata: { run } } }).nextItems();
    expect(all.map((s) => s.sandboxId).sort()).toEqual([one.sandboxId, two.sandboxId].sort());
    const only = await Sandbox.list({ ...t.sdk, query: { metadata: { run, n: "2" } } }).nextItems();
    expect(only.map((s) => s.sandboxId)).toEqual([two.sandboxId]);
    const pages = Sandbox.list({ ...t.sdk, limit: 1, query: { metadata: { run } } });
    const first = await pages.nextItems();
    expect(pages.hasNext).toBe(true);
    const second = await pages.nextItems();
    expect(pages.hasNext).toBe(false);
    expect([...first, ...second].map((s) => s.sandboxId).sort()).toEqual(all.map((s) => s.sandboxId).sort());
  });

  test("setTimeout and connect move the deadline", async () => {
    const sbx = await sandbox({ timeoutMs: 10_000 });
    await sbx.setTimeout(120_000);
    const info = await sbx.getInfo();
    expect(info.endAt.getTime() - Date.now()).toBeGreaterThan(100_000);
    const again = await Sandbox.connect(sbx.sandboxId, t.sdk);
    expect((await again.runCode("'still here'")).text).toBe("still here");
  });

  test("kill ends the sandbox; a second kill reports it gone", async () => {
    const sbx = await sandbox();
    await sbx.runCode("x = 1");
    await sbx.commands.run("sleep 600", { background: true });
    const pids = processesOf(t, sbx.sandboxId);
    expect(pids.length).toBeGreaterThanOrEqual(3);
    expect(await sbx.kill()).toBe(true);
    expect(await Sandbox.kill(sbx.sandboxId, t.sdk)).toBe(false);
    await expect(Sandbox.getInfo(sbx.sandboxId, t.sdk)).rejects.toThrow(/not found/);
    await expect(sbx.runCode("x")).rejects.toThrow();
    // SIGKILLed processes in a dying pid namespace can take a moment to be reaped.
    await waitFor(() => (stillAlive(pids).length === 0 ? true : undefined), 2_000, "its processes to die");
  });

  test("a sandbox dies with its processes when its timeout passes", async () => {
    const sbx = await sandbox({ timeoutMs: 60_000 });
    const spinning = sbx.runCode("while True: pass", { timeoutMs: 20_000 }).catch((error: unknown) => error);
    await sbx.commands.run("python3 -c 'while True: pass' & sleep 600 &", { background: true });
    const pids = await waitFor(
      () => {
        const found = processesOf(t, sbx.sandboxId);
        return found.length >= 5 ? found : undefined;
      },
      10_000,
      "the spinning kernel and commands",
    );
    // Everything is running: now give it 2 s to live, as a create with a 2 s timeout would.
    await sbx.setTimeout(2_000);
    const deadline = Date.now() + 2_000;
    await waitFor(
      () =>
        Sandbox.getInfo(sbx.sandboxId, t.sdk).then(
          () => undefined,
          () => true,
        ),
      10_000,
      "the sandbox to end",
    );
    // The sandbox is unknown from the moment its kill starts; its processes are gone soon after.
    await waitFor(() => (stillAlive(pids).length === 0 ? true : undefined), 1_000, "its processes to die");
    const goneAfter = Date.now() - deadline;
    expect(await spinning).toBeInstanceOf(Error);
    // "Within about a second" of the deadline; generous here, the bench measures it.
    expect(goneAfter).toBeLessThan(3_000);
  });

  test("a fresh sandbox does not see another's files", async () => {
    const first = await sandbox();
    await first.files.write("private.txt", "first's");
    const second = await sandbox();
    await expect(second.files.read("private.txt")).rejects.toBeInstanceOf(FileNotFoundError);
  });
});

describe("api key", () => {
  test("a configured key must match; without one the SDK is refused before it sends", async () => {
    const guarded = await startHost({ apiKey: "the-right-key" });
    try {
      await expect(Sandbox.create({ ...guarded.sdk, apiKey: "wrong" })).rejects.toThrow(/Unauthorized/);
      const sbx = await Sandbox.create(guarded.sdk);
      expect((await sbx.runCode("1")).text).toBe("1");
      await sbx.kill();
    } finally {
      await guarded.stop();
    }
  });
});
