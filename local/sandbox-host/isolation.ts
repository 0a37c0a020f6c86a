import { spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import type { Template } from "./templates.js";

/** The path of the sandbox's home directory as the code inside sees it (E2B's). */
export const SANDBOX_HOME = "/home/user";
/** Where the runtime (supervisor and kernels) is mounted inside a sandbox. */
const SANDBOX_RUNTIME = "/opt/e2b-local";
const CGROUP_ROOT = "/sys/fs/cgroup";
const CGROUP_PARENT = "runledger-sandbox-host";
/** Each host process keeps its sandboxes' cgroups under its own pid, so one host never touches another's. */
const CGROUP_HOST = String(process.pid);
const CONTROLLERS = ["memory", "pids", "cpu", "cpuacct"] as const;
type Controller = (typeof CONTROLLERS)[number];

export type IsolationMode = "auto" | "bubblewrap" | "none";

export interface SandboxSpec {
  /** Names the machine's cgroups. */
  id: string;
  /** Host directory bound as the sandbox's home. */
  homeDir: string;
  template: Template;
  allowInternetAccess: boolean;
}

export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** The home path the code sees: /home/user under bubblewrap, the host path without it. */
  home: string;
  /** The runtime directory as the supervisor sees it. */
  runtimeDir: string;
  cgroups: Partial<Record<Controller, string>>;
}

/**
 * How sandboxes are fenced on this machine: bubblewrap namespaces when it works, resource limits
 * through cgroup v1 when writable, else prlimit. Detected once at start.
 */
export class Isolation {
  private constructor(
    readonly bubblewrap: boolean,
    readonly limits: "cgroup-v1" | "prlimit",
    readonly python: string,
    private readonly runtimeDir: string,
    private readonly passwdDir: string,
  ) {}

  static detect(mode: IsolationMode, runtimeDir: string, dataDir: string): Isolation {
    const python = findPython();
    let bubblewrap = false;
    if (mode !== "none") {
      bubblewrap = bubblewrapWorks();
      if (mode === "bubblewrap" && !bubblewrap) {
        throw new Error("isolation 'bubblewrap' was asked for, but bwrap is not installed or cannot create namespaces here");
      }
    }
    const limits = cgroupsWritable() ? "cgroup-v1" : "prlimit";
    const passwdDir = join(dataDir, "etc");
    mkdirSync(passwdDir, { recursive: true });
    writeFileSync(join(passwdDir, "passwd"), "root:x:0:0:root:/root:/bin/bash\nuser:x:1000:1000:user:/home/user:/bin/bash\n");
    writeFileSync(join(passwdDir, "group"), "root:x:0:\nuser:x:1000:\n");
    return new Isolation(bubblewrap, limits, python, runtimeDir, passwdDir);
  }

  /** Lines to print at start; loud when sandboxes are not a security boundary. */
  describe(): string[] {
    const lines = [
      `resource limits: ${this.limits === "cgroup-v1" ? "cgroup v1 (memory, pids, cpu)" : "prlimit (data size, process count)"}`,
    ];
    if (this.bubblewrap) {
      lines.unshift("isolation: bubblewrap (user, pid, ipc, uts, mount and, without internet access, network namespaces)");
    } else {
      lines.unshift(
        "WARNING: bubblewrap is not available, so sandboxes are NOT a security boundary: code runs as this user,",
        "WARNING: sees this machine's files, processes and network. Install bubblewrap (apt-get install bubblewrap).",
      );
    }
    return lines;
  }

  /** How to start the sandbox's supervisor, or `command` instead of it (the bench's baseline). */
  prepare(spec: SandboxSpec, command?: string[]): Launch {
    const cgroups = this.limits === "cgroup-v1" ? createCgroups(spec.id, spec.template) : {};
    const home = this.bubblewrap ? SANDBOX_HOME : spec.homeDir;
    const runtimeDir = this.bubblewrap ? SANDBOX_RUNTIME : this.runtimeDir;
    const env = {
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      HOME: home,
      USER: "user",
      LANG: "C.UTF-8",
      MPLBACKEND: "Agg",
      E2B_SANDBOX: "true",
      E2B_TEMPLATE_ID: spec.template.id,
    };
    const agent = command ?? [this.python, "-u", join(runtimeDir, "agent.py")];
    const fenced = this.bubblewrap ? [...this.bubblewrapArgs(spec), ...agent] : agent;
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
    return { command: program as string, args, env, home, runtimeDir, cgroups };
  }

  private bubblewrapArgs(spec: SandboxSpec): string[] {
    const args = ["bwrap", "--die-with-parent", "--new-session", "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts"];
    args.push("--unshare-cgroup-try", "--uid", "1000", "--gid", "1000", "--hostname", "e2b-sandbox");
    if (!spec.allowInternetAccess) args.push("--unshare-net");
    args.push("--ro-bind", "/usr", "/usr");
    for (const top of ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]) {
      if (!existsSync(top)) continue;
      const stat = lstatSync(top);
      if (stat.isSymbolicLink()) args.push("--symlink", readlinkSync(top), top);
      else args.push("--ro-bind", top, top);
    }
    for (const file of ETC_ENTRIES) args.push("--ro-bind-try", `/etc/${file}`, `/etc/${file}`);
    args.push("--ro-bind", join(this.passwdDir, "passwd"), "/etc/passwd", "--ro-bind", join(this.passwdDir, "group"), "/etc/group");
    for (const dir of hostDirsOutsideUsr([this.python, process.execPath])) args.push("--ro-bind", dir, dir);
    args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", "/home");
    args.push("--bind", spec.homeDir, SANDBOX_HOME, "--ro-bind", this.runtimeDir, SANDBOX_RUNTIME, "--chdir", SANDBOX_HOME);
    args.push("--");
    return args;
  }

  /** The processes in a sandbox's cgroups. */
  members(cgroups: Launch["cgroups"]): number[] {
    return cgroups.pids ? readPids(cgroups.pids) : [];
  }

  /** Kills every process still in the sandbox's cgroups and removes them. */
  async release(cgroups: Launch["cgroups"]): Promise<void> {
    for (let attempt = 0; attempt < 1000; attempt++) {
      let busy = false;
      for (const dir of Object.values(cgroups)) {
        if (!existsSync(dir)) continue;
        for (const pid of readPids(dir)) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
        try {
          rmdirSync(dir);
        } catch {
          busy = true;
        }
      }
      if (!busy) return;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /** Removes this host's cgroup directories once its sandboxes are gone. */
  close(): void {
    if (this.limits !== "cgroup-v1") return;
    for (const controller of CONTROLLERS) {
      try {
        rmdirSync(join(CGROUP_ROOT, controller, CGROUP_PARENT, CGROUP_HOST));
      } catch {
        // another host in this process still uses it, or it is already gone
      }
    }
  }

  /** Memory in use and CPU time used so far, from the cgroups when there are any. */
  usage(cgroups: Launch["cgroups"]): { memoryBytes: number; cpuNanos: number } | null {
    if (!cgroups.memory || !cgroups.cpuacct) return null;
    try {
      return {
        memoryBytes: Number(readFileSync(join(cgroups.memory, "memory.usage_in_bytes"), "utf8")),
        cpuNanos: Number(readFileSync(join(cgroups.cpuacct, "cpuacct.usage"), "utf8")),
      };
    } catch {
      return null;
    }
  }
}

const ETC_ENTRIES = [
  "alternatives",
  "bash.bashrc",
  "ca-certificates",
  "fonts",
  "hosts",
  "ld.so.cache",
  "ld.so.conf",
  "ld.so.conf.d",
  "localtime",
  "mime.types",
  "nsswitch.conf",
  "profile",
  "profile.d",
  "python3",
  "python3.11",
  "resolv.conf",
  "ssl",
  "matplotlibrc",
];

function findPython(): string {
  if (existsSync("/usr/bin/python3")) return "/usr/bin/python3";
  const found = spawnSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" });
  if (found.status !== 0 || !found.stdout.trim()) throw new Error("python3 is required to run sandboxes and was not found");
  return found.stdout.trim();
}

function bubblewrapWorks(): boolean {
  const probe = spawnSync("bwrap", ["--unshare-user", "--unshare-pid", "--unshare-net", "--ro-bind", "/", "/", "true"], {
    stdio: "ignore",
  });
  return probe.status === 0;
}

function cgroupsWritable(): boolean {
  try {
    for (const controller of CONTROLLERS) {
      const parent = join(CGROUP_ROOT, controller, CGROUP_PARENT);
      mkdirSync(join(parent, CGROUP_HOST), { recursive: true });
      removeCgroupsOfDeadHosts(parent);
    }
    return true;
  } catch {
    return false;
  }
}

function createCgroups(id: string, template: Template): Launch["cgroups"] {
  const dirs: Launch["cgroups"] = {};
  for (const controller of CONTROLLERS) {
    const dir = join(CGROUP_ROOT, controller, CGROUP_PARENT, CGROUP_HOST, id);
    mkdirSync(dir, { recursive: true });
    dirs[controller] = dir;
  }
  const bytes = String(template.memoryMB * 1024 * 1024);
  writeFileSync(join(dirs.memory as string, "memory.limit_in_bytes"), bytes);
  const swap = join(dirs.memory as string, "memory.memsw.limit_in_bytes");
  if (existsSync(swap)) writeFileSync(swap, bytes);
  writeFileSync(join(dirs.pids as string, "pids.max"), String(template.maxProcesses));
  writeFileSync(join(dirs.cpu as string, "cpu.cfs_period_us"), "100000");
  writeFileSync(join(dirs.cpu as string, "cpu.cfs_quota_us"), String(template.cpuCount * 100000));
  return dirs;
}

/** A host that was killed leaves its sandboxes' cgroups behind: empty, since its sandboxes died with it. */
function removeCgroupsOfDeadHosts(parent: string): void {
  for (const host of readdirSync(parent)) {
    if (!/^\d+$/.test(host) || existsSync(`/proc/${host}`)) continue;
    try {
      for (const sandbox of readdirSync(join(parent, host))) {
        if (statSync(join(parent, host, sandbox)).isDirectory()) rmdirSync(join(parent, host, sandbox));
      }
      rmdirSync(join(parent, host));
    } catch {
      // still busy: a process outlived its host; left for the next start
    }
  }
}

function prlimitArgs(template: Template, command: string[]): string[] {
  const bytes = template.memoryMB * 1024 * 1024;
  return ["prlimit", `--data=${bytes}`, `--nproc=${template.maxProcesses}`, "--", ...command];
}

function readPids(dir: string): number[] {
  try {
    return readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
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
