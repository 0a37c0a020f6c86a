import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sandbox } from "@e2b/code-interpreter";
import { Sandbox as BaseSandbox, CommandExitError, FileNotFoundError } from "e2b";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { defaultTemplatesFile } from "../../../local/sandbox-host/templates.js";
import { connectProbe, descriptorProbe, syscallProbe } from "../../support/probes.js";
import { type HostUnderTest, hostAddresses, listeningPorts, processesOf, startHost, stillAlive, waitFor } from "./harness.js";

// What sandboxed code must not be able to do. These claims hold only under bubblewrap; on a
// machine without it the host says so at start and these tests are skipped, saying why.
let t: HostUnderTest;
const sandboxes: Array<{ kill(): Promise<unknown> }> = [];

const SMALL_DISK_MB = 64;

beforeAll(async () => {
  // The usual templates, and one with a small disk for the disk-fill test.
  const templates = JSON.parse(readFileSync(defaultTemplatesFile, "utf8"));
  const templatesFile = join(tmpdir(), `templates-${process.pid}.json`);
  writeFileSync(templatesFile, JSON.stringify({ ...templates, "small-disk": { ...templates.base, diskSizeMB: SMALL_DISK_MB } }));
  t = await startHost({ templatesFile });
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

/** The envd access token the SDK holds for a sandbox. */
function envdToken(sbx: Sandbox): string {
  return (sbx as unknown as { envdAccessToken: string }).envdAccessToken;
}

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
  test("without internet access only lo exists; with it there is a route out, and no listener of this machine answers either way", async (ctx) => {
    if (!t.host.isolation.bubblewrap) ctx.skip(true, "needs bubblewrap");
    const probe = connectProbe(hostAddresses(), listeningPorts());
    const offline = JSON.parse((await (await sandbox({ allowInternetAccess: false })).runCode(probe)).logs.stdout.join(""));
    expect(offline).toEqual({ reached: [], interfaces: ["lo"], routes: 0 });
    if (!t.host.isolation.network?.pasta) ctx.skip(true, "needs pasta (Debian package passt) for internet access");
    const online = JSON.parse((await (await sandbox({ allowInternetAccess: true })).runCode(probe)).logs.stdout.join(""));
    expect(online.reached).toEqual([]);
    expect(online.interfaces.length).toBeGreaterThan(1);
    expect(online.routes).toBeGreaterThan(0);
  });

  test("two sandboxes cannot reach each other", async (ctx) => {
    if (!t.host.isolation.bubblewrap) ctx.skip(true, "needs bubblewrap");
    const server = await sandbox();
    await server.runCode("import socket\nlistener = socket.socket()\nlistener.bind(('0.0.0.0', 8642))\nlistener.listen()");
    const client = await sandbox();
    const seen = JSON.parse((await client.runCode(connectProbe(hostAddresses(), [8642]))).logs.stdout.join(""));
    expect(seen.reached).toEqual([]);
    const itself = await server.runCode(connectProbe(["127.0.0.1"], [8642]));
    expect(JSON.parse(itself.logs.stdout.join("")).reached).toEqual(["127.0.0.1:8642"]);
  });

  test("code runs as a host uid of its own, not root", async (ctx) => {
    if (!t.host.isolation.dropsPrivileges) ctx.skip(true, "needs root, to give each sandbox a uid of its own");
    const [first, second] = [await sandbox(), await sandbox()];
    const uids = [first, second].map((s) => {
      const pids = processesOf(t, s.sandboxId);
      return new Set(pids.map((pid) => /Uid:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]).filter((uid) => uid !== "0"));
    });
    expect(uids.map((set) => set.size)).toEqual([1, 1]);
    const [a, b] = uids.map((set) => Number([...set][0]));
    expect(a).toBeGreaterThanOrEqual(3_000_000);
    expect(a).not.toBe(b);
    // The sandbox's own processes are not root on the host: only the launcher before bubblewrap is.
    const inside = await first.runCode("import os\nos.getuid()");
    expect(inside.text).toBe("1000");
  });

  test("the supervisor's descriptors, command line and mounts show nothing of the host", async (ctx) => {
    if (!t.host.isolation.bubblewrap) ctx.skip(true, "needs bubblewrap");
    const sbx = await sandbox();
    const seen = await sbx.runCode(
      "import json, os\ntry:\n    fds = os.listdir('/proc/1/fd')\nexcept OSError as e:\n    fds = e.strerror\nprint(json.dumps({'fds': fds, 'cmdline': open('/proc/1/cmdline').read(), 'mounts': open('/proc/self/mountinfo').read(), 'load': open('/proc/loadavg').read(), 'cgroup': open('/proc/self/cgroup').read(), 'mine': sorted(os.listdir('/proc/self/fd'))}))",
    );
    const found = JSON.parse(seen.logs.stdout.join(""));
    expect(found.fds).toBe("Permission denied");
    expect(found.load).toBe("0.00 0.00 0.00 1/1 1\n");
    for (const hostPath of [process.cwd(), t.dataDir]) {
      expect(found.cmdline).not.toContain(hostPath);
      expect(found.mounts).not.toContain(hostPath);
      expect(found.cgroup).not.toContain(hostPath);
    }
    // Mount sources are the system's own directories, under the same names they have inside.
    for (const line of found.mounts.trim().split("\n") as string[]) {
      const [, , , root, mountPoint] = line.split(" ");
      expect(
        root === "/" ||
          root === "/newroot" ||
          mountPoint?.endsWith(root ?? "") ||
          root?.startsWith("/bindfile") ||
          root?.startsWith("/usr/"),
        line,
      ).toBe(true);
    }
    const descriptors = await sbx.runCode(descriptorProbe("supervisor"));
    expect(JSON.parse(descriptors.logs.stdout.join("")).opened).toEqual([]);
  });

  test("ptrace, pidfd_getfd, process_vm_readv, the keyring, bpf, userfaultfd, mount and new user namespaces are refused", async (ctx) => {
    if (!t.host.isolation.bubblewrap) ctx.skip(true, "needs bubblewrap");
    const sbx = await sandbox();
    await sbx.commands.run("sleep 30", { background: true });
    const found = JSON.parse((await sbx.runCode(syscallProbe)).logs.stdout.join(""));
    const EPERM = 1;
    expect(found.visible_pids).toBeGreaterThanOrEqual(2);
    for (const call of ["ptrace_attach", "pidfd_getfd", "process_vm_readv", "keyctl", "bpf", "userfaultfd", "mount", "unshare_user"]) {
      expect(found[call], call).toEqual([EPERM]);
    }
  });

  test("a disk fill stops at the template's disk size and the sandbox lives on", async (ctx) => {
    if (!t.host.isolation.bubblewrap) ctx.skip(true, "needs bubblewrap");
    const small = await BaseSandbox.create("small-disk", { ...t.sdk, timeoutMs: 60_000 });
    sandboxes.push(small);
    const fill = await small.commands.run("dd if=/dev/zero of=fill bs=1M count=200", { timeoutMs: 30_000 }).catch((e) => e);
    expect(fill).toBeInstanceOf(CommandExitError);
    expect((fill as CommandExitError).stderr).toContain("No space left on device");
    const size = await small.commands.run("du -m fill | cut -f1");
    expect(Number(size.stdout)).toBeLessThanOrEqual(SMALL_DISK_MB);
    expect(Number(size.stdout)).toBeGreaterThan(SMALL_DISK_MB - 4);
    expect((await small.commands.run("rm fill && echo still alive")).stdout).toBe("still alive\n");
  });

  test("code that prints faster than its client reads costs the host no memory", async (ctx) => {
    if (!t.host.isolation.bubblewrap) ctx.skip(true, "needs bubblewrap");
    const sbx = await sandbox();
    const before = process.memoryUsage().rss;
    const res = await fetch(`${t.host.url}/execute`, {
      method: "POST",
      headers: {
        "e2b-sandbox-id": sbx.sandboxId,
        "e2b-sandbox-port": "49999",
        "x-access-token": envdToken(sbx),
        "content-type": "application/json",
      },
      body: JSON.stringify({ code: "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)" }),
    });
    const reader = res.body?.getReader();
    await reader?.read();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const grown = process.memoryUsage().rss - before;
    await reader?.cancel();
    expect(grown).toBeLessThan(200 * 1024 * 1024);
    expect((await sbx.commands.run("echo still answering")).stdout).toBe("still answering\n");
  });
});

describe("access", () => {
  test("an unknown sandbox and one the caller holds no token of get the same answer, on every port", async () => {
    const sbx = await sandbox();
    const ask = async (id: string, port: string, path: string, token?: string) => {
      const res = await fetch(`${t.host.url}${path}`, {
        headers: { "e2b-sandbox-id": id, "e2b-sandbox-port": port, ...(token ? { "x-access-token": token } : {}) },
      });
      return { status: res.status, body: (await res.json().catch(() => null)) as { message?: string } | null };
    };
    for (const [port, path] of [
      ["49983", "/health"],
      ["49999", "/contexts"],
      ["49999", "/health"],
      ["49983", "/files?path=a"],
    ] as const) {
      const unknown = await ask("nosuchsandbox0000000", port, path);
      const tokenless = await ask(sbx.sandboxId, port, path);
      const wrong = await ask(sbx.sandboxId, port, path, "0".repeat(32));
      expect(unknown.status).toBe(502);
      expect(tokenless).toEqual({ status: 502, body: { ...unknown.body, sandboxId: sbx.sandboxId } });
      expect(wrong).toEqual(tokenless);
    }
    expect((await ask(sbx.sandboxId, "49983", "/health", envdToken(sbx))).status).toBe(204);
    const contexts = await sbx.listCodeContexts();
    expect(Array.isArray(contexts)).toBe(true);
  });
});
