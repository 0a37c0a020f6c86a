import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { descendants } from "../proc.js";
import { type Isolation, type Launch, SANDBOX_ROOT_HOME, startLaunch } from "./isolation.js";
import { type AgentEvent, SupervisorChannel } from "./supervisor-channel.js";
import type { Template } from "./templates.js";

export type { AgentEvent } from "./supervisor-channel.js";

export type Listener = (event: AgentEvent) => void;

export interface MachineSpec {
  template: Template;
  allowInternetAccess: boolean;
}

/**
 * The processes behind one sandbox: a supervisor fenced by the host's isolation, with its own
 * home and resource limits. Machines are started ahead of demand and handed to a sandbox when one
 * is created; killing one kills every process in it. The supervisor is as untrusted as the code
 * it runs: its stdio are pipes this host owns, its stderr is read and thrown away, and a line on
 * its channel that is out of shape or over the cap ends the machine, never the host.
 */
export class Machine {
  readonly home: string;
  /** Resolves once every process of the machine is gone. */
  readonly gone: Promise<void>;
  /** Resolves once the supervisor is up and the machine fenced; rejects if it dies first. */
  readonly ready: Promise<void>;
  private readonly process: ChildProcess;
  private readonly launch: Launch;
  /** A host directory of this machine's, only when there is no isolation (its home lives there). */
  private readonly hostDir: string | null;
  private readonly listeners = new Map<string, Listener>();
  private requestCounter = 0;
  private lastCpu: { at: number; nanos: number } | null = null;
  private readonly startedAt = Date.now();
  private killed = false;
  private holds = 0;
  private markReady: () => void = () => {};

  constructor(
    readonly spec: MachineSpec,
    private readonly isolation: Isolation,
    dataDir: string,
  ) {
    const name = randomBytes(8).toString("hex");
    this.hostDir = isolation.bubblewrap ? null : join(dataDir, "sandboxes", name);
    const homeDir = this.hostDir ? join(this.hostDir, "home") : "/";
    // root's home: where envd puts files and runs commands for `user: "root"`.
    const rootHome = this.hostDir ? join(this.hostDir, "root") : SANDBOX_ROOT_HOME;
    if (this.hostDir) {
      mkdirSync(homeDir, { recursive: true });
      mkdirSync(rootHome, { recursive: true });
    }
    this.launch = isolation.prepare({ id: name, homeDir, template: spec.template, allowInternetAccess: spec.allowInternetAccess });
    this.home = this.launch.home;
    // Only a code-interpreter sandbox pays for IPython (its supervisor builds a shell at start).
    const pythonKernel = spec.template.codeInterpreter ? isolation.pythonEnv.kernel : "fast";
    const config = JSON.stringify({ home: this.home, rootHome, node: process.execPath, python_kernel: pythonKernel });
    this.process = startLaunch(this.launch, [config], ["pipe", "pipe", "pipe"], homeDir);
    this.process.stdin?.on("error", () => {});
    // Code in the sandbox can write to the supervisor's stderr: nothing of it reaches a log.
    this.process.stderr?.resume();
    const channel = new SupervisorChannel(
      (event) => this.receive(event),
      (reason) => {
        console.error(`sandbox host: a sandbox's supervisor sent ${reason}; killing that sandbox`);
        void this.kill();
      },
    );
    this.process.stdout?.on("data", (chunk: Buffer) => channel.push(chunk));
    const started = new Promise<void>((resolve) => {
      this.markReady = resolve;
    });
    this.gone = new Promise((resolve) => {
      this.process.once("exit", () => {
        this.killed = true;
        for (const listener of this.listeners.values()) listener({ type: "sandbox_gone" });
        this.listeners.clear();
        void this.isolation.release(this.launch.cgroups).then(() => {
          resolve();
          if (this.hostDir) {
            rm(this.hostDir, { recursive: true, force: true, maxRetries: 3 }).catch((error: Error) =>
              console.error(`sandbox host: could not remove a sandbox's directory: ${error.message}`),
            );
          }
        });
      });
      this.process.once("error", () => this.process.emit("exit"));
    });
    this.ready = Promise.race([
      started.then(() => this.fence()),
      this.gone.then(() => {
        throw new Error("the sandbox's machine stopped before it was ready");
      }),
    ]);
    this.ready.catch(() => void this.kill());
  }

  get alive(): boolean {
    return !this.killed;
  }

  /** Sends a request to the supervisor; `listener` gets every event for it until it is removed. */
  request(op: string, fields: Record<string, unknown>, listener?: Listener): string {
    this.requestCounter += 1;
    const id = `r${this.requestCounter}`;
    if (listener) {
      if (this.killed) {
        queueMicrotask(() => listener({ type: "sandbox_gone" }));
        return id;
      }
      this.listeners.set(id, listener);
    }
    this.process.stdin?.write(`${JSON.stringify({ op, id, ...fields })}\n`);
    return id;
  }

  stopListening(id: string): void {
    this.listeners.delete(id);
  }

  /**
   * Stops reading the supervisor while a client downstream is slower than the code's output: the
   * pipes fill and the code's writes block, so a flood costs the host no memory.
   */
  hold(): void {
    if (this.holds++ === 0) this.process.stdout?.pause();
  }

  release(): void {
    if (this.holds > 0 && --this.holds === 0) this.process.stdout?.resume();
  }

  /** Sends `signal` to every process of the machine (stopping or continuing it whole). */
  signalAll(signal: NodeJS.Signals): void {
    if (this.killed) return;
    const targets = new Set([...this.processIds(), ...this.isolation.members(this.launch.cgroups)]);
    for (const target of targets) {
      try {
        process.kill(target, signal);
      } catch {
        // gone meanwhile
      }
    }
  }

  /** Kills every process of the machine and resolves once they are gone. */
  async kill(): Promise<void> {
    if (!this.killed) {
      this.killed = true;
      const pid = this.process.pid;
      if (pid !== undefined) {
        // Without a pid namespace the tree must be found before its root dies.
        const tree = this.isolation.bubblewrap ? [] : descendants(pid);
        for (const target of [-pid, ...tree, ...this.isolation.members(this.launch.cgroups)]) {
          try {
            process.kill(target, "SIGKILL");
          } catch {
            // already gone
          }
        }
      }
    }
    await this.gone;
  }

  /** A resource sample in the shape of E2B's metrics. */
  metrics(): Record<string, number | string> {
    const now = Date.now();
    const usage = this.isolation.usage(this.launch.cgroups);
    let cpuUsedPct = 0;
    if (usage) {
      const since = this.lastCpu ?? { at: this.startedAt, nanos: 0 };
      const elapsedNanos = Math.max(1, (now - since.at) * 1e6);
      cpuUsedPct = Math.round(((usage.cpuNanos - since.nanos) / elapsedNanos / this.spec.template.cpuCount) * 10000) / 100;
      this.lastCpu = { at: now, nanos: usage.cpuNanos };
    }
    return {
      timestamp: new Date(now).toISOString(),
      timestampUnix: Math.floor(now / 1000),
      cpuUsedPct,
      cpuCount: this.spec.template.cpuCount,
      memUsed: usage?.memoryBytes ?? 0,
      memTotal: this.spec.template.memoryMB * 1024 * 1024,
      diskUsed: 0,
      diskTotal: this.spec.template.diskSizeMB * 1024 * 1024,
    };
  }

  /** The host's processes of this machine: its supervisor's whole tree, as seen from here. */
  processIds(): number[] {
    const pid = this.process.pid;
    return pid === undefined || this.killed ? [] : [pid, ...descendants(pid)];
  }

  /** The host uid its sandboxed processes run as, when it has one of its own. */
  get uid(): number | null {
    return this.launch.uid;
  }

  /** With internet access, the host's own addresses are made unreachable before any code runs. */
  private async fence(): Promise<void> {
    if (!this.spec.allowInternetAccess || !this.isolation.network) return;
    await this.isolation.network.fence(this.processIds());
  }

  private receive(event: AgentEvent): void {
    if (event.type === "ready") {
      this.markReady();
      return;
    }
    if (event.type === "agent_error") {
      // What the supervisor says is not logged: code in the sandbox could have written it.
      console.error("sandbox host: a sandbox's supervisor refused a request");
      return;
    }
    if (typeof event.id === "string") this.listeners.get(event.id)?.(event);
  }
}
