import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { descendants } from "../proc.js";
import type { Isolation, Launch } from "./isolation.js";
import type { Template } from "./templates.js";

/** An event from the supervisor inside the machine, addressed to one request by `id`. */
export interface AgentEvent {
  id?: string;
  type: string;
  [field: string]: unknown;
}

export type Listener = (event: AgentEvent) => void;

export interface MachineSpec {
  template: Template;
  allowInternetAccess: boolean;
}

/**
 * The processes behind one sandbox: a supervisor fenced by the host's isolation, with its own
 * home directory and resource limits. Machines are started ahead of demand and handed to a
 * sandbox when one is created; killing one kills every process in it and removes its files.
 */
export class Machine {
  readonly home: string;
  /** Resolves once every process of the machine is gone; its files go soon after. */
  readonly gone: Promise<void>;
  private readonly process: ChildProcess;
  private readonly launch: Launch;
  private readonly dir: string;
  private readonly listeners = new Map<string, Listener>();
  private requestCounter = 0;
  private lastCpu: { at: number; nanos: number } | null = null;
  private readonly startedAt = Date.now();
  private killed = false;

  constructor(
    readonly spec: MachineSpec,
    private readonly isolation: Isolation,
    dataDir: string,
  ) {
    const name = randomBytes(8).toString("hex");
    this.dir = join(dataDir, "sandboxes", name);
    const homeDir = join(this.dir, "home");
    mkdirSync(homeDir, { recursive: true });
    this.launch = isolation.prepare({ id: name, homeDir, template: spec.template, allowInternetAccess: spec.allowInternetAccess });
    this.home = this.launch.home;
    const config = JSON.stringify({ home: this.home, node: process.execPath });
    this.process = spawn(this.launch.command, [...this.launch.args, config], {
      env: this.launch.env,
      cwd: homeDir,
      stdio: ["pipe", "pipe", "inherit"],
      detached: true,
    });
    this.process.stdin?.on("error", () => {});
    const lines = createInterface({ input: this.process.stdout as NodeJS.ReadableStream });
    lines.on("line", (line) => this.receive(line));
    this.gone = new Promise((resolve) => {
      this.process.once("exit", () => {
        this.killed = true;
        for (const listener of this.listeners.values()) listener({ type: "sandbox_gone" });
        this.listeners.clear();
        void this.isolation.release(this.launch.cgroups).then(() => {
          resolve();
          rm(this.dir, { recursive: true, force: true, maxRetries: 3 }).catch((error: Error) =>
            console.error(`sandbox host: could not remove ${this.dir}: ${error.message}`),
          );
        });
      });
      this.process.once("error", () => this.process.emit("exit"));
    });
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

  /** One line from the supervisor. Code in the sandbox could forge one, so a bad line ends the machine, not the host. */
  private receive(line: string): void {
    let event: AgentEvent;
    try {
      event = JSON.parse(line) as AgentEvent;
      if (typeof event !== "object" || event === null || typeof event.type !== "string") throw new Error("not an event");
    } catch {
      console.error("sandbox host: a supervisor broke the protocol; killing its sandbox");
      void this.kill();
      return;
    }
    if (event.type === "agent_error") {
      console.error(`sandbox supervisor refused a request: ${String(event.message)}`);
      return;
    }
    if (typeof event.id === "string") this.listeners.get(event.id)?.(event);
  }
}
