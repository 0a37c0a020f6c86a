import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { accessSync, chmodSync, constants, mkdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { delimiter, join } from "node:path";
import type { Upstream } from "./pg-bridge.js";
import { loginToPostgres } from "./pg-login.js";
import { scramSecret } from "./pg-scram.js";
import { freePort } from "./ports.js";

export interface PoolerTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export interface PgBouncer {
  /** PgBouncer while it runs; the database itself while PgBouncer is down. */
  upstream(): Upstream;
  /** The running PgBouncer's process id. */
  pid(): number | undefined;
  stop(): Promise<void>;
}

/** Where Debian, Homebrew and source builds put it, besides PATH (a user's PATH often lacks sbin). */
const USUAL_DIRS = ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"];
const READY_TIMEOUT_MS = 10_000;
/** Restarts allowed within a minute before PgBouncer is given up on. */
const MAX_RESTARTS = 3;

export function findPgBouncer(): string | undefined {
  for (const dir of [...(process.env.PATH ?? "").split(delimiter), ...USUAL_DIRS]) {
    const candidate = join(dir || ".", "pgbouncer");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * PgBouncer in transaction mode in front of `target`, as Neon's pooled endpoints run it: a client
 * connection borrows a server connection for one transaction, so a Worker request that opens a
 * connection does not cost a new Postgres backend. Clients log in with SCRAM-SHA-256. Its auth file
 * (0600) holds the role's SCRAM secret with the server's own salt, so PgBouncer logs in to Postgres
 * with the keys of the client's exchange (SCRAM pass-through) and never holds the password; a
 * server that does not speak SCRAM gets the password itself from the file.
 * Resolves undefined when PgBouncer cannot serve this target; the caller then connects directly.
 */
export async function startPgBouncer(options: {
  binary: string;
  dir: string;
  target: PoolerTarget;
  log: (line: string) => void;
}): Promise<PgBouncer | undefined> {
  const { target, log } = options;
  // PgBouncer will not run as root; it needs no file of ours once started.
  const unixUser = process.getuid?.() === 0 ? existingUser("nobody") : undefined;
  if (process.getuid?.() === 0 && !unixUser) {
    log("pgbouncer not started: as root it needs the user nobody to run as; the proxy connects straight to Postgres");
    return undefined;
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(target.database) || /[\n\r]/.test(target.user + target.password)) {
    log("pgbouncer not started: its configuration cannot hold this database name or password; the proxy connects straight to Postgres");
    return undefined;
  }

  let secret: string;
  try {
    secret = await serverSecret(target);
  } catch (error) {
    log(`pgbouncer not started: logging in to ${target.host}:${target.port} failed (${(error as Error).message})`);
    return undefined;
  }
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const port = await freePort();
  const authFile = join(options.dir, "userlist.txt");
  const config = join(options.dir, "pgbouncer.ini");
  writePrivate(authFile, `${quoteName(target.user)} ${quoteName(secret)}\n`);
  writePrivate(config, pgbouncerIni({ target, port, authFile, unixUser }));

  const direct: Upstream = { host: target.host, port: target.port };
  const pooled: Upstream = { host: "127.0.0.1", port };
  let child: ChildProcess | undefined;
  let running = false;
  let stopping = false;
  const exits: number[] = [];

  const launch = async () => {
    const started = spawn(options.binary, [config], { stdio: ["ignore", "ignore", "pipe"], detached: true });
    child = started;
    const killOnExit = () => started.kill("SIGKILL");
    process.on("exit", killOnExit);
    const output: string[] = [];
    started.stderr?.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
        output.push(line);
        if (output.length > 20) output.shift();
        if (process.env.RUNLEDGER_POSTGRES_LOG === "1") console.log(`pgbouncer: ${line}`);
      }
    });
    started.once("exit", (code, signal) => {
      process.off("exit", killOnExit);
      if (!running || stopping) return;
      running = false;
      restart(`${code ?? signal}`, output.at(-1));
    });
    started.once("error", () => {});
    await listening(port, started, output);
    running = true;
  };

  const restart = (status: string, lastLine: string | undefined) => {
    const now = Date.now();
    exits.push(now);
    while (exits.length && (exits[0] as number) < now - 60_000) exits.shift();
    if (exits.length > MAX_RESTARTS) {
      log(`pgbouncer keeps exiting (${status}: ${lastLine ?? "no output"}); the proxy connects straight to Postgres from now on`);
      return;
    }
    log(`pgbouncer exited (${status}: ${lastLine ?? "no output"}); restarting it, meanwhile the proxy connects straight to Postgres`);
    setTimeout(() => {
      if (!stopping) launch().catch((error: Error) => log(`pgbouncer did not restart: ${error.message}`));
    }, 500);
  };

  try {
    await launch();
  } catch (error) {
    log(`pgbouncer did not start (${(error as Error).message}); the proxy connects straight to Postgres`);
    child?.kill("SIGKILL");
    return undefined;
  }
  return {
    upstream: () => (running ? pooled : direct),
    pid: () => (running ? child?.pid : undefined),
    stop: async () => {
      stopping = true;
      running = false;
      const last = child;
      if (!last || last.exitCode !== null || last.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        last.once("exit", () => resolve());
        // SIGTERM: immediate shutdown; the stack has stopped its clients by now.
        last.kill("SIGTERM");
      });
    },
  };
}

/** What PgBouncer keeps for the role: its SCRAM secret as the server has it, when the server speaks SCRAM. */
async function serverSecret(target: PoolerTarget): Promise<string> {
  const { socket, scram } = await loginToPostgres(target);
  socket.destroy();
  return scram ? scramSecret(target.password, scram) : target.password;
}

function pgbouncerIni(options: { target: PoolerTarget; port: number; authFile: string; unixUser: string | undefined }): string {
  const { target } = options;
  return `[databases]
${target.database} = host=${quoteValue(target.host)} port=${target.port} dbname=${quoteValue(target.database)}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${options.port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = ${options.authFile}
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 64
; Back in service as soon as Postgres is, after an outage.
server_login_retry = 0.1
; A database that is down answers no later than this (the default is two minutes).
query_wait_timeout = 10
ignore_startup_parameters = extra_float_digits
log_connections = 0
log_disconnections = 0
log_stats = 0
${options.unixUser ? `user = ${options.unixUser}\n` : ""}`;
}

/** A connection-string value, quoted as PgBouncer reads it. */
const quoteValue = (value: string) => `'${value.replaceAll("'", "''")}'`;
/** A name or secret in PgBouncer's auth file. */
const quoteName = (name: string) => `"${name.replaceAll('"', '""')}"`;

function writePrivate(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

function existingUser(name: string): string | undefined {
  try {
    execFileSync("id", ["-u", name], { stdio: "ignore" });
    return name;
  } catch {
    return undefined;
  }
}

/** Resolves once PgBouncer accepts connections on `port`; rejects if it exits first. */
function listening(port: number, child: ChildProcess, output: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let exited = false;
    child.once("exit", (code) => {
      exited = true;
      reject(new Error(`it exited with ${code}: ${output.at(-1) ?? "no output"}`));
    });
    const attempt = () => {
      if (exited) return;
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`it did not listen within ${READY_TIMEOUT_MS / 1000} s`));
        else setTimeout(attempt, 20);
      });
    };
    attempt();
  });
}
