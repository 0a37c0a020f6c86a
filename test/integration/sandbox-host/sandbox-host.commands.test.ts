import { Sandbox } from "e2b";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type HostUnderTest, startHost, waitFor } from "./harness.js";

// envd's process service beyond run: list, connect, PTYs, root and per-run env vars.
let t: HostUnderTest;
let sbx: Sandbox;

beforeAll(async () => {
  t = await startHost();
  sbx = await Sandbox.create("base", { ...t.sdk, timeoutMs: 120_000 });
});

afterAll(async () => {
  await sbx?.kill().catch(() => false);
  await t.stop();
});

test("commands.list reports a running command; connect attaches to its output", async () => {
  const handle = await sbx.commands.run("read line; echo got $line", { background: true, stdin: true, envs: { TAGGED: "1" } });
  const listed = await sbx.commands.list();
  expect(listed.find((p) => p.pid === handle.pid)).toMatchObject({ cmd: "/bin/bash", envs: { TAGGED: "1" } });
  await handle.disconnect();
  const lines: string[] = [];
  const attached = await sbx.commands.connect(handle.pid, { onStdout: (data) => void lines.push(data) });
  await sbx.commands.sendStdin(handle.pid, "hello\n");
  const result = await attached.wait();
  expect(result.exitCode).toBe(0);
  expect(lines.join("")).toBe("got hello\n");
  expect((await sbx.commands.list()).some((p) => p.pid === handle.pid)).toBe(false);
  await expect(sbx.commands.connect(999_999)).rejects.toThrow(/not found/);
});

test("a PTY takes input, resizes and is killed", async () => {
  let output = "";
  const decoder = new TextDecoder();
  const pty = await sbx.pty.create({
    cols: 80,
    rows: 24,
    onData: (data) => {
      output += decoder.decode(data);
    },
  });
  await sbx.pty.sendInput(pty.pid, new TextEncoder().encode("stty size; tty\n"));
  await waitFor(() => (output.includes("24 80") && output.includes("/dev/pts/") ? true : undefined), 10_000, "the terminal's size");
  await sbx.pty.resize(pty.pid, { cols: 100, rows: 30 });
  await sbx.pty.sendInput(pty.pid, new TextEncoder().encode("stty size\n"));
  await waitFor(() => (output.includes("30 100") ? true : undefined), 10_000, "the new size");
  expect(await sbx.pty.kill(pty.pid)).toBe(true);
  await expect(pty.wait()).rejects.toThrow();
});

test("user root runs in root's home; per-run env vars do not reach later runs", async () => {
  const root = await sbx.commands.run('echo "$HOME $USER" && pwd', { user: "root" });
  // Without bubblewrap root's home is a directory of the sandbox's on the host.
  const rootHome = t.host.isolation.bubblewrap ? "/root" : root.stdout.split(" ")[0];
  expect(root.stdout).toBe(`${rootHome} root\n${rootHome}\n`);
  expect(rootHome).not.toBe((await sbx.commands.run("pwd")).stdout.trim());
  expect((await sbx.commands.run("echo $FOO", { envs: { FOO: "bar" } })).stdout).toBe("bar\n");
  expect((await sbx.commands.run('echo "[$FOO]"')).stdout).toBe("[]\n");
});
