import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { HostStats, SandboxHostOptions } from "./sandbox-host/server.js";

export interface SandboxHostProcess {
  url: string;
  port: number;
  /** Its process id while it runs. */
  pid(): number | undefined;
  /** What the host has served so far (its `GET /_local/stats`). */
  stats(): Promise<HostStats>;
  /** `listener` runs when the process ends without being stopped, with how it ended. */
  onCrash(listener: (how: string) => void): void;
  /** Starts it again after a crash, on the same port and key (its sandboxes died with it). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL("./sandbox-host-child.ts", import.meta.url));
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

/**
 * The E2B-compatible sandbox host in a process of its own, so that the stack can tell when it dies
 * and start it again on the same port. It runs in its own process group (Ctrl-C reaches the stack,
 * which stops it after the Worker) and ends by itself when the stack's process is gone.
 */
export async function startSandboxHostProcess(options: SandboxHostOptions & { port: number; apiKey: string }): Promise<SandboxHostProcess> {
  const crashListeners: Array<(how: string) => void> = [];
  let child: ChildProcess;
  let stopping = false;
  const launch = async () => {
    const started = spawn(process.execPath, ["--import", "tsx", ENTRY], {
      env: { ...process.env, RUNLEDGER_SANDBOX_HOST: JSON.stringify(options) },
      stdio: ["pipe", "pipe", "inherit"],
      detached: true,
    });
    child = started;
    const exited = new Promise<string>((resolve) => {
      started.once("exit", (code, signal) => resolve(signal ? `killed by ${signal}` : `exit code ${code}`));
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        started.kill("SIGKILL");
        reject(new Error(`the sandbox host did not start within ${START_TIMEOUT_MS / 1000} s`));
      }, START_TIMEOUT_MS);
      const lines = createInterface({ input: started.stdout as NodeJS.ReadableStream });
      lines.on("line", (line) => {
        if (line.startsWith("listening ")) {
          clearTimeout(timer);
          resolve();
        } else console.log(line);
      });
      void exited.then((how) => {
        clearTimeout(timer);
        reject(new Error(`the sandbox host stopped at start-up (${how})`));
      });
    });
    void exited.then((how) => {
      if (stopping || child !== started) return;
      for (const listener of crashListeners) listener(how);
    });
  };
  await launch();
  const url = `http://127.0.0.1:${options.port}`;
  return {
    url,
    port: options.port,
    pid: () => (child.exitCode === null && child.signalCode === null ? child.pid : undefined),
    async stats() {
      const res = await fetch(`${url}/_local/stats`, { headers: { "x-api-key": options.apiKey } });
      if (!res.ok) throw new Error(`the sandbox host's stats: ${res.status}`);
      return (await res.json()) as HostStats;
    },
    onCrash: (listener) => crashListeners.push(listener),
    restart: launch,
    async close() {
      stopping = true;
      const last = child;
      if (last.exitCode !== null || last.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => last.once("exit", () => resolve()));
      last.kill("SIGTERM");
      const timer = setTimeout(() => last.kill("SIGKILL"), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
