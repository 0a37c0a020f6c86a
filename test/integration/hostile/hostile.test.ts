import { statfsSync } from "node:fs";
import { describe, expect, inject, test } from "vitest";
import { connectProbe, descriptorProbe, markerOf, syscallProbe } from "../../support/probes.js";
import { hostAddresses, listeningPorts } from "../sandbox-host/harness.js";
import { apiUrl, hostLog, newKey, printed, run, stillServing } from "./harness.js";

// Every run's code is an attacker. These go through the public API of a real `npm start` only,
// each trying one boundary, in python, javascript and bash.
describe("hostile code, through the public API", () => {
  test("python: no TCP port this machine listens on answers, on any of its addresses", async () => {
    const client = await newKey();
    const ports = listeningPorts();
    expect(ports).toContain(Number(new URL(apiUrl()).port));
    const seen = printed<{ reached: string[] }>(await run(client, { code: connectProbe(hostAddresses(), ports), timeout_ms: 60_000 }));
    expect(seen.reached).toEqual([]);
  });

  test("javascript: host files read by absolute path are not there", async () => {
    const client = await newKey();
    const dataDir = inject("hostileDataDir");
    const paths = [
      `${dataDir}/local.json`,
      `${dataDir}/postgres/PG_VERSION`,
      `${process.cwd()}/package.json`,
      "/etc/shadow",
      "/root",
      "/proc/1/environ",
    ];
    const code = `const fs = require("fs");
const found = ${JSON.stringify(paths)}.filter((p) => { try { fs.readFileSync(p); return true; } catch { try { return fs.readdirSync(p).length > 0; } catch { return false; } } });
console.log(JSON.stringify({ found }));`;
    const seen = printed<{ found: string[] }>(await run(client, { language: "javascript", code }));
    expect(seen.found).toEqual([]);
  });

  test("bash: a marker written to every descriptor it can open reaches no host log", async () => {
    const client = await newKey();
    const seed = `seed-${Date.now()}`;
    const code = `marker=marker-$(printf '%s' '${seed}' | sha256sum | cut -c1-24)
opened=0
for fd in /proc/[0-9]*/fd/*; do
  case "$fd" in /proc/$$/*|/proc/self/*) continue ;; esac
  if { printf '%s\\n' "$marker" > "$fd"; } 2>/dev/null; then opened=$((opened+1)); fi
done
for fd in /proc/1/fd/0 /proc/1/fd/1 /proc/1/fd/2; do { printf '%s\\n' "$marker" > "$fd"; } 2>/dev/null && opened=$((opened+1)); done
echo "{\\"opened\\": $opened}"`;
    const execution = await run(client, { language: "bash", code });
    expect(execution.status, JSON.stringify(execution)).toBe("succeeded");
    const python = await run(client, { code: descriptorProbe(seed) });
    expect(printed<{ opened: string[] }>(python).opened).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(hostLog()).not.toContain(markerOf(seed));
  });

  test("python: ptrace, pidfd_getfd and process_vm_readv fail on every visible pid", async () => {
    const client = await newKey();
    const found = printed<Record<string, number[] | number>>(await run(client, { code: syscallProbe }));
    const EPERM = 1;
    for (const call of ["ptrace_attach", "pidfd_getfd", "process_vm_readv", "keyctl", "bpf", "userfaultfd", "mount", "unshare_user"]) {
      expect(found[call], call).toEqual([EPERM]);
    }
  });

  test("a flood on stdout, on stderr, or at the supervisor's channel ends only that run; npm start stays up", async () => {
    const client = await newKey();
    const floods = await Promise.all([
      run(client, { code: "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)", timeout_ms: 5000 }),
      run(client, { language: "bash", code: "yes 'to stderr, without end' >&2", timeout_ms: 5000 }),
      run(client, {
        code: "import os\nfor path in ['/proc/1/fd/1', '/proc/1/fd/0', '/proc/1/fd/2']:\n    try:\n        fd = os.open(path, os.O_WRONLY)\n        os.write(fd, b'{' * (8 << 20))\n    except OSError as e:\n        print(path, e.strerror)",
        timeout_ms: 10_000,
      }),
    ]);
    expect(floods.map((e) => e.status)).toEqual(["timed_out", "timed_out", "succeeded"]);
    expect(floods[0]?.result?.truncated).toBe(true);
    expect(floods[1]?.result?.truncated).toBe(true);
    expect(floods[2]?.result?.stdout).toContain("Permission denied");
    await stillServing(client);
  }, 90_000);

  test("two concurrent runs under different keys cannot connect to each other", async () => {
    const [first, second] = [await newKey(), await newKey()];
    const listener = await first.createExecution({
      code: "import socket, time\ns = socket.socket()\ns.bind(('0.0.0.0', 8642))\ns.listen()\nprint('listening', flush=True)\ntime.sleep(20)",
      timeout_ms: 30_000,
    });
    for await (const event of first.events(listener.id)) if (event.event === "stdout") break;
    const probe = await run(second, { code: connectProbe(hostAddresses(), [8642]) });
    expect(printed<{ reached: string[] }>(probe).reached).toEqual([]);
    const during = await first.getExecution(listener.id);
    expect(during.status).toBe("running");
    expect(Date.parse(probe.finished_at as string)).toBeGreaterThan(Date.parse(during.started_at as string));
    await first.cancelExecution(listener.id);
  });

  test("bash: a disk fill stops at the sandbox's cap and the host's disk is untouched", async () => {
    const client = await newKey();
    const before = statfsSync(inject("hostileDataDir"));
    const fill = await run(client, {
      language: "bash",
      template: "base",
      code: "dd if=/dev/zero of=/home/user/fill bs=1M count=20000 2>&1 | tail -n 1; du -m /home/user/fill | cut -f1",
      timeout_ms: 60_000,
    });
    const after = statfsSync(inject("hostileDataDir"));
    const lines = fill.result?.stdout.trim().split("\n") ?? [];
    expect(Number(lines.at(-1)), JSON.stringify(fill)).toBeLessThan(20_000);
    const freedOrUsedMiB = ((before.bavail - after.bavail) * before.bsize) / 2 ** 20;
    expect(freedOrUsedMiB).toBeLessThan(100);
    await stillServing(client);
  }, 90_000);
});
