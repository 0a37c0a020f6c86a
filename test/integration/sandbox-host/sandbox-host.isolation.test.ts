import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Sandbox } from "@e2b/code-interpreter";
import { Sandbox as BaseSandbox, CommandExitError, FileNotFoundError } from "e2b";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type HostUnderTest, processesOf, startHost, stillAlive, waitFor } from "./harness.js";

// What sandboxed code must not be able to do. These claims hold only under bubblewrap; on a
// machine without it the host says so at start and these tests are skipped, saying why.
let t: HostUnderTest;
const sandboxes: Array<{ kill(): Promise<unknown> }> = [];

beforeAll(async () => {
  t = await startHost();
  if (!t.host.isolation.bubblewrap) {
    console.warn(
      "isolation tests skipped: bubblewrap is not in use (not installed, or SANDBOX_HOST_ISOLATION=none), so sandboxes are not a security boundary here",
    );
  }
});

afterAll(async () => {
  await Promise.all(sandboxes.map((s) => s.kill().catch(() => false)));
  await t.stop();
});

async function sandbox(opts: Parameters<typeof Sandbox.create>[1] = {}, template = "code-interpreter-v1"): Promise<Sandbox> {
  const created = await Sandbox.create(template, { ...t.sdk, timeoutMs: 60_000, ...opts });
  sandboxes.push(created);
  return created;
}

describe("isolation", () => {
  test("code cannot read a file outside its home", async (ctx) => {
    if (!t.host.isolation.bubblewrap) ctx.skip(true, "needs bubblewrap");
    const secret = join(t.dataDir, "host-secret.txt");
    writeFileSync(secret, "the host's secret");
    const sbx = await sandbox();
    const attempt = await sbx.runCode(`open(${JSON.stringify(secret)}).read()`);
    expect(attempt.error?.name).toBe("FileNotFoundError");
    await expect(sbx.files.read(secret)).rejects.toBeInstanceOf(FileNotFoundError);
    const shadow = await sbx.runCode("open('/etc/shadow').read()");
    expect(shadow.error?.name).toMatch(/FileNotFoundError|PermissionError/);
    const system = await sbx.runCode("open('/usr/bin/injected', 'w')");
    expect(system.error?.name).toMatch(/OSError|PermissionError/);
  });

  test("code cannot see the host's processes", async (ctx) => {
    if (!t.host.isolation.bubblewrap) ctx.skip(true, "needs bubblewrap");
    const sbx = await sandbox();
    const seen = await sbx.runCode(
      "import os\ncmds = []\nfor p in os.listdir('/proc'):\n    if p.isdigit():\n        try: cmds.append(open(f'/proc/{p}/cmdline','rb').read().decode(errors='replace'))\n        except OSError: pass\n(len(cmds), any('vitest' in c for c in cmds), os.getpid() < 100)",
    );
    const [count, sawTestRunner, smallPid] = JSON.parse(
      (seen.text ?? "").replace(/^\(/, "[").replace(/\)$/, "]").replaceAll("True", "true").replaceAll("False", "false"),
    ) as [number, boolean, boolean];
    expect(sawTestRunner).toBe(false);
    expect(smallPid).toBe(true);
    expect(count).toBeLessThan(20);
  });

  test("without internet access, code cannot reach the network; with it, it can", async (ctx) => {
    if (!t.host.isolation.bubblewrap) ctx.skip(true, "needs bubblewrap");
    const port = t.host.port;
    const probe = `import socket\ns = socket.socket()\ns.settimeout(2)\ntry:\n    s.connect(('127.0.0.1', ${port}))\n    r = 'connected'\nexcept OSError as e:\n    r = type(e).__name__\nr`;
    const offline = await sandbox({ allowInternetAccess: false });
    expect((await offline.runCode(probe)).text).toBe("'ConnectionRefusedError'");
    const online = await sandbox({ allowInternetAccess: true });
    expect((await online.runCode(probe)).text).toBe("'connected'");
  });

  test("code cannot exhaust memory: the template's limit stops it and the sandbox lives on", async () => {
    const base = await BaseSandbox.create("base", { ...t.sdk, timeoutMs: 60_000 });
    sandboxes.push(base);
    // 1 GiB against the base template's 512 MiB.
    const hog = "chunks = []\nfor _ in range(16):\n    chunks.append(bytearray(64 * 1024 * 1024))\nprint('allocated', len(chunks))";
    await base.files.write("hog.py", hog);
    const outcome = await base.commands.run("python3 hog.py", { timeoutMs: 30_000 }).catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(CommandExitError);
    expect((outcome as CommandExitError).stdout).not.toContain("allocated");
    expect((await base.commands.run("echo still alive")).stdout).toBe("still alive\n");
  });

  test("code cannot fork without bound", async (ctx) => {
    if (!t.host.isolation.bubblewrap) ctx.skip(true, "needs bubblewrap");
    const base = await BaseSandbox.create("base", { ...t.sdk, timeoutMs: 60_000 });
    sandboxes.push(base);
    const bomb =
      "import os, time\nn = 0\ntry:\n    while n < 5000:\n        if os.fork() == 0:\n            os.closerange(0, 3)\n            time.sleep(60)\n            os._exit(0)\n        n += 1\nexcept OSError as e:\n    print('stopped after', n, type(e).__name__)\n";
    await base.files.write("bomb.py", bomb);
    const result = await base.commands.run("python3 bomb.py", { timeoutMs: 30_000 });
    const stopped = /stopped after (\d+) BlockingIOError/.exec(result.stdout);
    expect(stopped, result.stdout).not.toBeNull();
    expect(Number(stopped?.[1])).toBeLessThan(256);
    const pids = processesOf(t, base.sandboxId);
    expect(pids.length).toBeGreaterThan(100);
    expect(await base.kill()).toBe(true);
    // SIGKILLed processes in a dying pid namespace can take a moment to be reaped.
    await waitFor(() => (stillAlive(pids).length === 0 ? true : undefined), 2_000, "its processes to die");
  });
});
