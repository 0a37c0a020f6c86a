import { type ChildProcess, type StdioPipe, spawn, spawnSync } from "node:child_process";
import { existsSync, lstatSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import type { Writable } from "node:stream";
import {
  type CgroupDirs,
  cgroupMembers,
  cgroupsWritable,
  cgroupUsage,
  createCgroups,
  releaseCgroups,
  removeHostCgroups,
} from "./cgroups.js";
import { describePythonEnv, detectPythonEnv, type PythonEnv } from "./python-env.js";
import { SandboxNetwork } from "./sandbox-network.js";
import { seccompFilter } from "./seccomp.js";
import type { Template } from "./templates.js";

/** The path of the sandbox's home directory as the code inside sees it (E2B's). */
export const SANDBOX_HOME = "/home/user";
/** root's home inside a sandbox, a tmpfs like the user's. */
export const SANDBOX_ROOT_HOME = "/root";
/** Where the runtime (supervisor and kernels) appears inside a sandbox. */
const SANDBOX_RUNTIME = "/opt/e2b-local";
const RUNTIME_FILES = ["agent.py", "envd_fs.py", "python_kernel.py", "ipython_kernel.py", "charts.py", "bash_kernel.py", "js-kernel.cjs"];
/** Host uids for sandboxes: one each, owning nothing on the host, far above any real user's. */
const SANDBOX_UID_BASE = 3_000_000;
const SANDBOX_UIDS = 1_000_000;

export type IsolationMode = "auto" | "bubblewrap" | "none";

export interface SandboxSpec {
  /** Names the machine's cgroups. */
  id: string;
  /** Host directory used as the home when there is no isolation (a fenced sandbox's home is a tmpfs). */
  homeDir: string;
  template: Template;
  allowInternetAccess: boolean;
}

export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** Bytes for descriptors 3, 4, …: what bubblewrap reads (its arguments, the filter, the files it places). */
  inputs: Buffer[];
  /** The home path the code sees: /home/user when fenced, the host path without isolation. */
  home: string;
  /** The runtime directory as the supervisor sees it. */
  runtimeDir: string;
  cgroups: CgroupDirs;
  /** The sandbox's processes run as this host uid (null: as this process's user). */
  uid: number | null;
}

/**
 * How sandboxes are fenced on this machine, detected once at start. With bubblewrap each sandbox
 * gets user, pid, mount, ipc, uts, cgroup and network namespaces, a seccomp filter, a size-capped
 * tmpfs home and /tmp, nothing of the host's but read-only system directories, and (as root) a
 * host uid of its own that owns nothing. Resource limits come from cgroup v1 when writable, else
 * prlimit.
 */
export class Isolation {
  private nextUid = 0;

  private constructor(
    readonly bubblewrap: boolean,
    readonly limits: "cgroup-v1" | "prlimit",
    readonly python: string,
    private readonly runtimeDir: string,
    /** As root: sandboxes run as uids of their own. */
    readonly dropsPrivileges: boolean,
    readonly network: SandboxNetwork | null,
    private readonly seccomp: Buffer | null,
    /** What backs Python contexts, and which template packages are missing. */
    readonly pythonEnv: PythonEnv,
  ) {}

  static detect(mode: IsolationMode, runtimeDir: string, pythonKernel?: "ipython" | "fast"): Isolation {
    const python = findPython();
    const asRoot = process.getuid?.() === 0;
    const dropsPrivileges = asRoot && spawnSync("setpriv", ["--version"], { stdio: "ignore" }).status === 0;
    let bubblewrap = false;
    if (mode !== "none") {
      bubblewrap = bubblewrapWorks(dropsPrivileges ? asUid(SANDBOX_UID_BASE) : []);
      if (mode === "bubblewrap" && !bubblewrap) {
        throw new Error("isolation 'bubblewrap' was asked for, but bwrap is not installed or cannot create namespaces here");
      }
    }
    const limits = cgroupsWritable() ? "cgroup-v1" : "prlimit";
    const network = bubblewrap ? SandboxNetwork.detect(dropsPrivileges ? asUid(SANDBOX_UID_BASE) : []) : null;
    const pythonEnv = detectPythonEnv(python, pythonKernel ?? process.env.SANDBOX_HOST_PYTHON_KERNEL);
    return new Isolation(bubblewrap, limits, python, runtimeDir, dropsPrivileges, network, bubblewrap ? seccompFilter() : null, pythonEnv);
  }

  /** Lines to print at start; loud when sandboxes are not a security boundary. */
  describe(): string[] {
    const limits = `resource limits: ${this.limits === "cgroup-v1" ? "cgroup v1 (memory, pids, cpu)" : "prlimit (data size, process count)"}`;
    if (!this.bubblewrap) {
      return [
        "WARNING: bubblewrap is not available, so sandboxes are NOT a security boundary: code runs as this user,",
        "WARNING: sees this machine's files, processes and network. Install bubblewrap (apt-get install bubblewrap).",
        limits,
        ...describePythonEnv(this.pythonEnv),
      ];
    }
    const lines = [
      "isolation: bubblewrap (user, pid, mount, ipc, uts, cgroup and network namespaces; tmpfs home capped at the template's disk size)",
      this.seccomp
        ? "system calls: seccomp filter (no ptrace, pidfd_getfd, process_vm_*, keyring, bpf, userfaultfd, mounts)"
        : "WARNING: no seccomp filter for this CPU architecture",
      this.dropsPrivileges
        ? "identity: each sandbox runs as a host uid of its own that owns nothing"
        : "identity: sandboxes run as this user (start as root to give each a uid of its own)",
      limits,
    ];
    if (this.network) lines.push(this.network.describe());
    lines.push(...describePythonEnv(this.pythonEnv));
    return lines;
  }

  /** How to start the sandbox's supervisor, or `command` instead of it (the bench's baseline). */
  prepare(spec: SandboxSpec, command?: string[]): Launch {
    const cgroups = this.limits === "cgroup-v1" ? createCgroups(spec.id, spec.template) : {};
    const home = this.bubblewrap ? SANDBOX_HOME : spec.homeDir;
    const runtimeDir = this.bubblewrap ? SANDBOX_RUNTIME : this.runtimeDir;
    const env = {
      PATH: `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${this.bubblewrap ? `:${SANDBOX_RUNTIME}/bin` : ""}`,
      HOME: home,
      USER: "user",
      LANG: "C.UTF-8",
      MPLBACKEND: "Agg",
      E2B_SANDBOX: "true",
      E2B_TEMPLATE_ID: spec.template.id,
    };
    const agent = command ?? [this.python, "-u", join(runtimeDir, "agent.py")];
    let uid: number | null = null;
    let inputs: Buffer[] = [];
    let fenced = agent;
    if (this.bubblewrap) {
      const fence = this.bubblewrapLaunch(spec, agent);
      inputs = fence.inputs;
      fenced = fence.command;
      if (this.dropsPrivileges) {
        uid = SANDBOX_UID_BASE + (this.nextUid++ % SANDBOX_UIDS);
        const online = spec.allowInternetAccess && this.network?.pasta;
        fenced = [...(online ? (this.network?.rootPrefix ?? []) : []), ...asUid(uid), ...fenced];
      }
    }
    const limited = this.limits === "prlimit" ? prlimitArgs(spec.template, fenced) : fenced;
    const entries = Object.values(cgroups);
    const [program, ...args] =
      entries.length > 0
        ? [
            "/bin/sh",
            "-c",
            'while [ "$1" != -- ]; do echo $$ > "$1/cgroup.procs" || exit 97; shift; done; shift; exec "$@"',
            "sh",
            ...entries,
            "--",
            ...limited,
          ]
        : limited;
    return { command: program as string, args, env, inputs, home, runtimeDir, cgroups, uid };
  }

  /**
   * bubblewrap's arguments go through descriptor 3 (so no host path shows in any command line the
   * sandbox can read), the seccomp filter through 4, and the runtime and /etc files it places
   * through 5 and up: nothing of the host is bound in but system directories, read-only.
   */
  private bubblewrapLaunch(spec: SandboxSpec, agent: string[]): { command: string[]; inputs: Buffer[] } {
    // Descriptor 3 carries the arguments themselves, filled in once they are complete.
    const inputs: Buffer[] = [Buffer.alloc(0)];
    const fd = (data: Buffer | string) => String(2 + inputs.push(Buffer.from(data)));
    const args = ["--die-with-parent", "--new-session", "--as-pid-1", "--unshare-user", "--disable-userns", "--unshare-pid"];
    args.push("--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--uid", "1000", "--gid", "1000", "--hostname", "e2b-sandbox");
    // With internet access, pasta has already made the network namespace the sandbox lives in.
    const online = spec.allowInternetAccess ? this.network?.internetPrefix() : null;
    if (!online) args.push("--unshare-net");
    args.push("--ro-bind", "/usr", "/usr");
    for (const top of ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]) {
      if (!existsSync(top)) continue;
      if (lstatSync(top).isSymbolicLink()) args.push("--symlink", readlinkSync(top), top);
      else args.push("--ro-bind", top, top);
    }
    for (const file of ETC_ENTRIES) args.push("--ro-bind-try", `/etc/${file}`, `/etc/${file}`);
    for (const dir of hostDirsOutsideUsr([this.python, process.execPath])) args.push("--ro-bind", dir, dir);
    args.push("--proc", "/proc", "--dev", "/dev");
    const disk = String(spec.template.diskSizeMB * 1024 * 1024);
    args.push("--size", disk, "--tmpfs", "/tmp", "--dir", "/home", "--size", disk, "--tmpfs", SANDBOX_HOME);
    args.push("--size", disk, "--tmpfs", SANDBOX_ROOT_HOME);
    if (this.seccomp) args.push("--seccomp", fd(this.seccomp));
    for (const [path, content] of Object.entries(this.placedFiles())) args.push("--ro-bind-data", fd(content), path);
    args.push("--perms", "0755", "--ro-bind-data", fd(SUDO), `${SANDBOX_RUNTIME}/bin/sudo`);
    args.push("--chdir", SANDBOX_HOME);
    inputs[0] = Buffer.from(`${args.join("\0")}\0`);
    const bwrap = ["bwrap", "--args", "3", "--", ...agent];
    return { command: online ? [...online, ...bwrap] : bwrap, inputs };
  }

  /** Files placed read-only in every sandbox from this host's memory, not bound from its disk. */
  private placedFiles(): Record<string, string | Buffer> {
    const files: Record<string, string | Buffer> = {
      "/etc/passwd": "root:x:0:0:root:/root:/bin/bash\nuser:x:1000:1000:user:/home/user:/bin/bash\n",
      "/etc/group": "root:x:0:\nuser:x:1000:\n",
      "/etc/hostname": "e2b-sandbox\n",
      "/etc/hosts": "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n127.0.1.1 e2b-sandbox\n",
      // The host's load is none of the sandbox's business.
      "/proc/loadavg": "0.00 0.00 0.00 1/1 1\n",
    };
    // Login shells (envd runs commands with `bash -l`) set PATH in /etc/profile: keep the runtime's tools on it.
    const profile = existsSync("/etc/profile") ? readFileSync("/etc/profile", "utf8") : "";
    files["/etc/profile"] = `${profile}\nPATH="$PATH:${SANDBOX_RUNTIME}/bin"\nexport PATH\n`;
    for (const name of RUNTIME_FILES) files[`${SANDBOX_RUNTIME}/${name}`] = readFileSync(join(this.runtimeDir, name));
    return files;
  }

  /** The processes in a sandbox's cgroups. */
  members(cgroups: CgroupDirs): number[] {
    return cgroupMembers(cgroups);
  }

  /** Kills every process still in the sandbox's cgroups and removes them. */
  release(cgroups: CgroupDirs): Promise<void> {
    return releaseCgroups(cgroups);
  }

  /** Removes this host's cgroup directories once its sandboxes are gone. */
  close(): void {
    if (this.limits === "cgroup-v1") removeHostCgroups();
  }

  /** Memory in use and CPU time used so far, from the cgroups when there are any. */
  usage(cgroups: CgroupDirs): { memoryBytes: number; cpuNanos: number } | null {
    return cgroupUsage(cgroups);
  }
}

/**
 * Starts a prepared launch: its command with `extraArgs`, in a process group of its own, with
 * what bubblewrap reads fed to descriptors 3 and up.
 */
export function startLaunch(
  launch: Launch,
  extraArgs: string[],
  stdio: [StdioPipe | "ignore", StdioPipe, StdioPipe | "inherit"],
  cwd = "/",
): ChildProcess {
  const child = spawn(launch.command, [...launch.args, ...extraArgs], {
    env: launch.env,
    cwd,
    stdio: [...stdio, ...launch.inputs.map(() => "pipe" as const)],
    detached: true,
  });
  launch.inputs.forEach((data, i) => {
    const input = child.stdio[3 + i] as Writable;
    input.on("error", () => {});
    input.end(data);
  });
  return child;
}

/**
 * E2B's sandbox user has passwordless sudo. A local sandbox has no root to become (one uid is
 * mapped into its user namespace), so `sudo` runs the command as the sandbox's user.
 */
const SUDO = `#!/bin/sh
while [ $# -gt 0 ]; do
  case "$1" in
    -u|-g|-p|-C|-h|-U|-D) shift 2 ;;
    --) shift; break ;;
    -*) shift ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: sudo command" >&2; exit 1; }
exec "$@"
`;

/** Read-only from the host's /etc: what libraries and interpreters look up. */
const ETC_ENTRIES = [
  "alternatives",
  "bash.bashrc",
  "ca-certificates",
  "fonts",
  "ld.so.cache",
  "ld.so.conf",
  "ld.so.conf.d",
  "localtime",
  "mime.types",
  "nsswitch.conf",
  "profile.d",
  "python3",
  "python3.11",
  "resolv.conf",
  "ssl",
  "matplotlibrc",
];

/** The prefix that runs a command as `uid`, with no supplementary groups and no way to gain privileges. */
function asUid(uid: number): string[] {
  return ["setpriv", `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "--"];
}

function findPython(): string {
  if (existsSync("/usr/bin/python3")) return "/usr/bin/python3";
  const found = spawnSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" });
  if (found.status !== 0 || !found.stdout.trim()) throw new Error("python3 is required to run sandboxes and was not found");
  return found.stdout.trim();
}

function bubblewrapWorks(asSandboxUser: string[]): boolean {
  const probe = [...asSandboxUser, "bwrap", "--unshare-user", "--disable-userns", "--unshare-pid", "--unshare-net"];
  const [program, ...args] = [...probe, "--ro-bind", "/", "/", "true"];
  return spawnSync(program as string, args, { stdio: "ignore" }).status === 0;
}

function prlimitArgs(template: Template, command: string[]): string[] {
  const bytes = template.memoryMB * 1024 * 1024;
  return ["prlimit", `--data=${bytes}`, `--nproc=${template.maxProcesses}`, "--", ...command];
}

/**
 * Install prefixes of interpreters that live outside /usr, so they can be mounted read-only: only
 * a prefix that looks like one (`bin/` beside `lib/`), never a home directory or the root.
 */
function hostDirsOutsideUsr(executables: string[]): string[] {
  const dirs = new Set<string>();
  for (const executable of executables) {
    const real = realpathSync(executable);
    if (real.startsWith("/usr/")) continue;
    const prefix = dirname(dirname(real));
    const isPrefix = existsSync(join(prefix, "lib")) && basename(dirname(real)) === "bin";
    if (!isPrefix || prefix === "/" || prefix === homedir() || prefix === dirname(homedir())) {
      throw new Error(
        `${executable} is not in an install prefix that can be mounted into sandboxes; install it under /usr or its own prefix`,
      );
    }
    dirs.add(prefix);
  }
  return [...dirs];
}
