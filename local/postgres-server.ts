import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { LocalPostgresError } from "./postgres-error.js";
import type { PostgresRuntime } from "./postgres-runtime.js";

export interface PostgresServer {
  /** The server process's id. */
  pid: number | undefined;
  /** Resolves when the server process has ended, however it ended. */
  exited: Promise<void>;
  /** Ended without being asked to: how (its exit code or signal, and the last thing it said); else undefined. */
  crash(): string | undefined;
  /** Accepting connections: started, and neither stopping nor ended. */
  running(): boolean;
  stop(): Promise<void>;
}

const INITDB_TIMEOUT_MS = 120_000;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/** A new cluster in `dir` (empty, owned by whoever runs Postgres) whose superuser is `admin`. */
export async function initCluster(runtime: PostgresRuntime, dir: string, admin: { user: string; password: string }): Promise<void> {
  // The password goes through a file the Postgres user alone can read, never the command line.
  const pwfile = join(dirname(dir), `.initdb-${randomBytes(6).toString("hex")}`);
  writeFileSync(pwfile, `${admin.password}\n`, { mode: 0o600 });
  try {
    if (runtime.runAs) chownSync(pwfile, runtime.runAs.uid, runtime.runAs.gid);
    const child = run(runtime, runtime.initdb, [
      `--pgdata=${dir}`,
      `--username=${admin.user}`,
      `--pwfile=${pwfile}`,
      "--auth=scram-sha-256",
      "--encoding=UTF8",
      "--locale=C",
      "--locale-provider=builtin",
      "--builtin-locale=C.UTF-8",
      "--lc-messages=C",
    ]);
    const output = collect(child);
    const code = await new Promise<number | string>((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), INITDB_TIMEOUT_MS);
      child.once("error", (error) => resolve(error.message));
      child.once("exit", (exitCode, signal) => {
        clearTimeout(timer);
        resolve(exitCode ?? `${signal}`);
      });
    });
    if (code !== 0) {
      throw new LocalPostgresError(
        `initdb failed in ${dir} (${lastWords(output) ?? code})`,
        `check that the folder is writable, or set DATABASE_URL to a Postgres of your own`,
      );
    }
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/** Starts Postgres on the cluster in `pgdata`, listening on 127.0.0.1:`port` only. */
export async function startPostgresServer(runtime: PostgresRuntime, pgdata: string, port: number): Promise<PostgresServer> {
  const child = run(runtime, runtime.postgres, [
    "-D",
    pgdata,
    "-p",
    String(port),
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "unix_socket_directories=",
    "-c",
    "lc_messages=C",
    // Room for the pooler in front of it, and for every connection when there is no pooler.
    "-c",
    "max_connections=500",
    // After a crash, recovery first flushes the data directory to disk: one syncfs() of its file
    // system instead of an fsync() per file, seconds sooner on a busy disk (Linux only).
    ...(process.platform === "linux" ? ["-c", "recovery_init_sync_method=syncfs"] : []),
  ]);
  const output = collect(child);
  const killOnExit = () => child.kill("SIGINT");
  process.on("exit", killOnExit);
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      process.off("exit", killOnExit);
      resolve();
    });
    child.once("error", (error) => {
      output.push(`error: ${error.message}`);
      resolve();
    });
  });

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new LocalPostgresError(`it did not accept connections within ${START_TIMEOUT_MS / 1000} s`, fixFor(output.join("\n"), pgdata)),
      );
    }, START_TIMEOUT_MS);
    const onLine = (line: string) => {
      if (!line.includes("database system is ready to accept connections")) return;
      clearTimeout(timer);
      resolve();
    };
    output.onLine = onLine;
    for (const line of output) onLine(line);
    void exited.then(() => {
      clearTimeout(timer);
      const said = lastWords(output) ?? "no output";
      reject(new LocalPostgresError(`Postgres stopped at start-up: "${said}" (data directory ${pgdata})`, fixFor(said, pgdata)));
    });
  });

  let stopping = false;
  const ended = () => child.exitCode !== null || child.signalCode !== null;
  return {
    pid: child.pid,
    exited,
    crash: () => {
      if (stopping || !ended()) return undefined;
      if (child.signalCode) return `killed by ${child.signalCode}`;
      const said = lastWords(output);
      return said ? `exit code ${child.exitCode}; it last said "${said}"` : `exit code ${child.exitCode}`;
    },
    running: () => !stopping && !ended(),
    async stop() {
      stopping = true;
      if (ended()) return;
      // SIGINT: a fast shutdown (open transactions rolled back, the cluster left consistent).
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

function run(runtime: PostgresRuntime, program: string, args: string[]): ChildProcess {
  return spawn(program, args, {
    uid: runtime.runAs?.uid,
    gid: runtime.runAs?.gid,
    // The Postgres user may not be able to enter this process's folder.
    cwd: "/",
    env: { ...process.env, LC_ALL: "C" },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: Ctrl-C reaches the stack, which stops Postgres after what uses it.
    detached: true,
  });
}

type Output = string[] & { onLine?: (line: string) => void };

/** The last lines a process printed (both streams), and a hook for each new one. */
function collect(child: ChildProcess): Output {
  const lines: Output = [];
  const take = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
      lines.push(line);
      if (lines.length > 50) lines.shift();
      if (process.env.RUNLEDGER_POSTGRES_LOG === "1") console.log(`postgres: ${line}`);
      lines.onLine?.(line);
    }
  };
  child.stdout?.on("data", take);
  child.stderr?.on("data", take);
  return lines;
}

/** The most telling thing Postgres said: its last FATAL or PANIC (with its DETAIL), else its last line. */
function lastWords(lines: string[]): string | undefined {
  const index = lines.findLastIndex((line) => /\b(FATAL|PANIC|ERROR|error):/.test(line));
  if (index < 0) return lines.at(-1);
  const strip = (line: string) => line.replace(/^.*?\b(FATAL|PANIC|ERROR|error|DETAIL|HINT):\s*/, "");
  const detail = lines[index + 1]?.includes("DETAIL:") ? ` (${strip(lines[index + 1] as string)})` : "";
  return `${strip(lines[index] as string)}${detail}`;
}

function fixFor(said: string, pgdata: string): string {
  const afresh = `move ${pgdata} away to start afresh (the old data stays where you move it)`;
  if (/lock file .* already exists/.test(said)) return "another Postgres is running on this data directory: stop it first";
  if (/incompatible with server|initialized by PostgreSQL version/.test(said)) return `it was made by another Postgres version: ${afresh}`;
  if (/could not bind|already in use/.test(said)) return "its port was taken meanwhile: start again";
  if (/pre-existing shared memory block/.test(said))
    return "a process of an earlier Postgres on this data directory is still running: end it, then start again";
  if (/shared memory|could not map|No space left/.test(said))
    return "free some memory or disk space (or enlarge /dev/shm), then start again";
  if (/ownership|permissions|Permission denied/.test(said)) return `give ${pgdata} back to the user that runs Postgres, or ${afresh}`;
  return `${afresh}, or set DATABASE_URL to a Postgres of your own (RUNLEDGER_POSTGRES_LOG=1 prints its log)`;
}
