import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Isolation, Launch } from "./isolation.js";
import type { Template } from "./templates.js";

/** An event from the supervisor inside the sandbox, addressed to one request by `id`. */
export interface AgentEvent {
  id?: string;
  type: string;
  [field: string]: unknown;
}

export type Listener = (event: AgentEvent) => void;

export interface SandboxOptions {
  template: Template;
  timeoutMs: number;
  metadata: Record<string, string>;
  envVars: Record<string, string>;
  allowInternetAccess: boolean;
  dataDir: string;
  isolation: Isolation;
}

const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

function newSandboxId(): string {
  const bytes = randomBytes(20);
  return Array.from(bytes, (b) => ID_ALPHABET[b % ID_ALPHABET.length]).join("");
}

/**
 * One running sandbox: its supervisor process, its home directory and its deadline. When the
 * deadline passes or it is killed, every process in it dies and its files are removed.
 */
export class Sandbox {
  readonly id = newSandboxId();
  readonly clientId = "local";
  readonly envdAccessToken = randomBytes(16).toString("hex");
  readonly startedAt = new Date();
  readonly template: Template;
  readonly metadata: Record<string, string>;
  readonly allowInternetAccess: boolean;
  readonly home: string;
  readonly runtimeDir: string;
  endAt: Date;
  /** Why it ended; null while it runs. */
  endReason: string | null = null;
  /** Resolves once every process of the sandbox is gone and its files are removed. */
  readonly gone: Promise<void>;
  readonly codeContexts = new Map<string, { id: string; language: string; cwd: string }>();
  /** Running commands: pid inside the sandbox to the request that started them. */
  readonly commands = new Map<number, string>();

  private readonly process: ChildProcess;
  private readonly launch: Launch;
  private readonly dir: string;
  private readonly listeners = new Map<string, Listener>();
  private readonly isolation: Isolation;
  private deadline: NodeJS.Timeout;
  private requestCounter = 0;
  private lastCpu: { at: number; nanos: number } | null = null;

  constructor(options: SandboxOptions) {
    this.template = options.template;
    this.metadata = options.metadata;
    this.allowInternetAccess = options.allowInternetAccess;
    this.isolation = options.isolation;
    this.dir = join(options.dataDir, "sandboxes", this.id);
    const homeDir = join(this.dir, "home");
    mkdirSync(homeDir, { recursive: true });
    this.launch = options.isolation.prepare({
      id: this.id,
      homeDir,
      template: options.template,
      allowInternetAccess: options.allowInternetAccess,
      env: options.envVars,
    });
    this.home = this.launch.home;
    this.runtimeDir = this.launch.runtimeDir;
    const prestart = options.template.codeInterpreter ? { "default-python": "python" } : {};
    const config = JSON.stringify({ home: this.home, node: process.execPath, prestart });
    this.process = spawn(this.launch.command, [...this.launch.args, config], {
      env: this.launch.env,
      cwd: homeDir,
      stdio: ["pipe", "pipe", "inherit"],
      detached: true,
    });
    this.process.stdin?.on("error", () => {});
    const lines = createInterface({ input: this.process.stdout as NodeJS.ReadableStream });
    lines.on("line", (line) => this.dispatch(JSON.parse(line) as AgentEvent));
    this.gone = new Promise((resolve) => {
      this.process.once("exit", () => {
        this.endReason ??= "exited";
        clearTimeout(this.deadline);
        for (const listener of this.listeners.values()) listener({ type: "sandbox_gone" });
        this.listeners.clear();
        void this.cleanUp().then(resolve);
      });
      this.process.once("error", () => this.process.emit("exit"));
    });
    this.endAt = new Date(this.startedAt.getTime() + options.timeoutMs);
    this.deadline = setTimeout(() => void this.kill("timeout"), options.timeoutMs);
  }

  get running(): boolean {
    return this.endReason === null;
  }

  /** Moves the deadline to `timeoutMs` from now, as E2B's setTimeout does. */
  setTimeout(timeoutMs: number): void {
    if (!this.running) return;
    clearTimeout(this.deadline);
    this.endAt = new Date(Date.now() + timeoutMs);
    this.deadline = setTimeout(() => void this.kill("timeout"), timeoutMs);
  }

  /** Sends a request to the supervisor; `listener` gets every event for it until it is removed. */
  request(op: string, fields: Record<string, unknown>, listener?: Listener): string {
    this.requestCounter += 1;
    const id = `r${this.requestCounter}`;
    if (listener) {
      if (!this.running) {
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

  /** Kills every process in the sandbox and resolves once they are gone. */
  async kill(reason = "killed"): Promise<void> {
    if (this.running) {
      this.endReason = reason;
      this.endAt = new Date();
      clearTimeout(this.deadline);
      const pid = this.process.pid;
      if (pid !== undefined) {
        const tree = this.isolation.bubblewrap ? [] : descendants(pid);
        try {
          process.kill(-pid, "SIGKILL");
        } catch {
          // already gone
        }
        for (const child of tree) {
          try {
            process.kill(child, "SIGKILL");
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
      const since = this.lastCpu ?? { at: this.startedAt.getTime(), nanos: 0 };
      const elapsedNanos = Math.max(1, (now - since.at) * 1e6);
      cpuUsedPct = Math.round(((usage.cpuNanos - since.nanos) / elapsedNanos / this.template.cpuCount) * 10000) / 100;
      this.lastCpu = { at: now, nanos: usage.cpuNanos };
    }
    return {
      timestamp: new Date(now).toISOString(),
      timestampUnix: Math.floor(now / 1000),
      cpuUsedPct,
      cpuCount: this.template.cpuCount,
      memUsed: usage?.memoryBytes ?? 0,
      memTotal: this.template.memoryMB * 1024 * 1024,
      diskUsed: 0,
      diskTotal: this.template.diskSizeMB * 1024 * 1024,
    };
  }

  private dispatch(event: AgentEvent): void {
    if (event.type === "agent_error") {
      console.error(`sandbox ${this.id}: supervisor refused a request: ${String(event.message)}`);
      return;
    }
    if (event.id === undefined) return;
    this.listeners.get(event.id)?.(event);
  }

  private async cleanUp(): Promise<void> {
    await this.isolation.release(this.launch.cgroups);
    await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** Every process below `root`, read from /proc: without a pid namespace this is how a tree is found. */
function descendants(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(entry));
      parents.set(ppid, list);
    } catch {
      // the process ended while we looked
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    for (const child of parents.get(pid) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}
