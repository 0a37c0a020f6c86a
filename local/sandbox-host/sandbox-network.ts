import { spawn, spawnSync } from "node:child_process";
import { readlinkSync } from "node:fs";
import { networkInterfaces } from "node:os";

/**
 * Every fenced sandbox has a network namespace of its own. Without internet access it holds only
 * `lo`. With it, pasta (Debian's `passt`) joins it to the world as a user-mode network stack: the
 * namespace takes the host's address, so that address leads back into the sandbox; no port of the
 * host's loopback is forwarded in (`-T none`), nothing is forwarded from outside (`-t none`), and
 * the gateway is the real one (`--no-map-gw`). The host's other addresses and link-local space
 * (cloud metadata) are then made unreachable by routes inside the namespace, set as root.
 */
export class SandboxNetwork {
  private constructor(
    readonly pasta: boolean,
    private readonly blockedRoutes: string[],
  ) {}

  /** `asSandboxUser` is the prefix that runs a command as a sandbox's user (empty when not root). */
  static detect(asSandboxUser: string[]): SandboxNetwork {
    const [program, ...args] = [...asSandboxUser, "pasta", ...PASTA_ARGS, "--", "/bin/true"];
    const pasta = spawnSync(program as string, args, { stdio: "ignore", timeout: 5000 }).status === 0;
    const privileged = asSandboxUser.length > 0;
    const canRoute = privileged && spawnSync("nsenter", ["--version"], { stdio: "ignore" }).status === 0;
    return new SandboxNetwork(pasta, canRoute ? hostRoutesToBlock() : []);
  }

  describe(): string {
    if (!this.pasta) {
      return "WARNING: pasta (Debian package passt) is not installed: sandboxes that ask for internet access get none";
    }
    return `network: a namespace per sandbox; internet through pasta${this.blockedRoutes.length ? ", with the host's own addresses unreachable" : ""}`;
  }

  /** What to run a command under to give it a network namespace with internet access, or null if none can. */
  internetPrefix(): string[] | null {
    return this.pasta ? ["pasta", ...PASTA_ARGS, "--"] : null;
  }

  /**
   * Makes the host's addresses unreachable from the namespace that `pids` (a sandbox's processes)
   * live in. Resolves once done; a failure is reported, and the sandbox is refused rather than
   * run with a route to the host.
   */
  async fence(pids: number[]): Promise<void> {
    if (this.blockedRoutes.length === 0) return;
    const own = readlinkSync("/proc/self/ns/net");
    const inside = pids.find((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/ns/net`) !== own;
      } catch {
        return false;
      }
    });
    if (inside === undefined) throw new Error("the sandbox's network namespace was not found");
    await new Promise<void>((resolve, reject) => {
      const child = spawn("nsenter", ["--target", String(inside), "--net", "ip", "-batch", "-"], { stdio: ["pipe", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.once("error", reject);
      child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`blocking the host's addresses failed: ${stderr.trim()}`))));
      child.stdin.end(`${this.blockedRoutes.join("\n")}\n`);
    });
  }
}

/** Quiet, foreground, nothing forwarded either way, the real gateway. */
const PASTA_ARGS = ["--config-net", "--foreground", "--quiet", "-t", "none", "-u", "none", "-T", "none", "-U", "none", "--no-map-gw"];

/** `ip -batch` lines: a prohibit route for each of the host's addresses and for link-local IPv4. */
function hostRoutesToBlock(): string[] {
  const routes = new Set<string>(["route add prohibit 169.254.0.0/16"]);
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.internal) continue;
      const host = address.address.split("%")[0] as string;
      routes.add(`route add prohibit ${host}/${address.family === "IPv4" ? 32 : 128}`);
    }
  }
  return [...routes];
}
