import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Template } from "./templates.js";

const CGROUP_ROOT = "/sys/fs/cgroup";
const CGROUP_PARENT = "runledger-sandbox-host";
/** Each host process keeps its sandboxes' cgroups under its own pid, so one host never touches another's. */
const CGROUP_HOST = String(process.pid);
const CONTROLLERS = ["memory", "pids", "cpu", "cpuacct"] as const;
type Controller = (typeof CONTROLLERS)[number];

/** One sandbox's cgroup directories, by controller. */
export type CgroupDirs = Partial<Record<Controller, string>>;

/** Whether cgroup v1 controllers are writable here; removes what killed hosts left behind. */
export function cgroupsWritable(): boolean {
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

/** A sandbox's cgroups, sized from its template: memory (swap included), processes and CPU. */
export function createCgroups(id: string, template: Template): CgroupDirs {
  const dirs: CgroupDirs = {};
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

/** The processes in a sandbox's cgroups. */
export function cgroupMembers(dirs: CgroupDirs): number[] {
  return dirs.pids ? readPids(dirs.pids) : [];
}

/** Kills every process still in the cgroups and removes them. */
export async function releaseCgroups(dirs: CgroupDirs): Promise<void> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    let busy = false;
    for (const dir of Object.values(dirs)) {
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
export function removeHostCgroups(): void {
  for (const controller of CONTROLLERS) {
    try {
      rmdirSync(join(CGROUP_ROOT, controller, CGROUP_PARENT, CGROUP_HOST));
    } catch {
      // another host in this process still uses it, or it is already gone
    }
  }
}

/** Memory in use and CPU time used so far. */
export function cgroupUsage(dirs: CgroupDirs): { memoryBytes: number; cpuNanos: number } | null {
  if (!dirs.memory || !dirs.cpuacct) return null;
  try {
    return {
      memoryBytes: Number(readFileSync(join(dirs.memory, "memory.usage_in_bytes"), "utf8")),
      cpuNanos: Number(readFileSync(join(dirs.cpuacct, "cpuacct.usage"), "utf8")),
    };
  } catch {
    return null;
  }
}

/** A host that was killed leaves its sandboxes' cgroups behind; any process still in one is killed. */
function removeCgroupsOfDeadHosts(parent: string): void {
  for (const host of readdirSync(parent)) {
    if (!/^\d+$/.test(host) || existsSync(`/proc/${host}`)) continue;
    try {
      for (const sandbox of readdirSync(join(parent, host))) {
        const dir = join(parent, host, sandbox);
        if (!statSync(dir).isDirectory()) continue;
        for (const pid of readPids(dir)) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
        rmdirSync(dir);
      }
      rmdirSync(join(parent, host));
    } catch {
      // still busy: a process outlived its host; left for the next start
    }
  }
}

function readPids(dir: string): number[] {
  try {
    return readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
