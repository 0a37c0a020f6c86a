import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { Sandbox } from "@e2b/code-interpreter";
import { afterAll, beforeAll } from "vitest";
import type { IsolationMode } from "../../../local/sandbox-host/isolation.js";
import { type SandboxHost, type SandboxHostOptions, startSandboxHost } from "../../../local/sandbox-host/server.js";

export interface HostUnderTest {
  host: SandboxHost;
  dataDir: string;
  /** Connection options for the real E2B SDK, pointing it at this host. */
  sdk: { apiUrl: string; sandboxUrl: string; apiKey: string };
  setFaults(plan: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

/** A sandbox host on a free loopback port, with its own data directory. */
export async function startHost(options: SandboxHostOptions = {}): Promise<HostUnderTest> {
  const dataDir = mkdtempSync(join(tmpdir(), "sandbox-host-test-"));
  // SANDBOX_HOST_ISOLATION=none runs the suite as on a machine without bubblewrap.
  const isolation = (process.env.SANDBOX_HOST_ISOLATION as IsolationMode | undefined) ?? "auto";
  const host = await startSandboxHost({ port: 0, dataDir, warmMachines: 1, isolation, ...options });
  return {
    host,
    dataDir,
    sdk: { apiUrl: host.url, sandboxUrl: host.url, apiKey: options.apiKey ?? "test-key" },
    async setFaults(plan) {
      const res = await fetch(`${host.url}/_local/faults`, { method: "POST", body: JSON.stringify(plan) });
      if (!res.ok) throw new Error(`setting faults failed: ${res.status} ${await res.text()}`);
    },
    async stop() {
      await host.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** This machine's processes of a running sandbox: its supervisor and everything below it. */
export function processesOf(t: HostUnderTest, sandboxId: string): number[] {
  const machine = t.host.registry.get(sandboxId)?.machine;
  if (!machine) throw new Error(`sandbox ${sandboxId} is not running`);
  return machine.processIds();
}

/** Those of `pids` still alive (zombies count as gone). */
export function stillAlive(pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
      return false;
    }
  });
}

/** Every TCP port something listens on in this machine's network namespace, IPv4 and IPv6. */
export function listeningPorts(): number[] {
  const ports = new Set<number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === "0A" && local) ports.add(Number.parseInt(local.split(":").at(-1) ?? "0", 16));
    }
  }
  return [...ports].filter((port) => port > 0).sort((a, b) => a - b);
}

/** This machine's own addresses (loopback included), for code that tries to reach them. */
export function hostAddresses(): string[] {
  return ["127.0.0.1", "::1", ...Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address))].filter(
    (address, i, all) => all.indexOf(address) === i,
  );
}

export async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface InterpreterUnderTest {
  host: HostUnderTest;
  sandbox: Sandbox;
}

/** For one test file: a host and a code-interpreter sandbox on it, made before its tests and gone after them. */
export function withInterpreter(): InterpreterUnderTest {
  const fixture = {} as InterpreterUnderTest;
  beforeAll(async () => {
    fixture.host = await startHost();
    fixture.sandbox = await Sandbox.create("code-interpreter-v1", { ...fixture.host.sdk, timeoutMs: 60_000 });
  });
  afterAll(async () => {
    await fixture.sandbox?.kill().catch(() => false);
    await fixture.host?.stop();
  });
  return fixture;
}
