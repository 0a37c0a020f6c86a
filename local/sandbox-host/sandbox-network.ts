import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readlinkSync, rmSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";

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
    /** Run as root before the sandbox's user takes over: what lets pasta open the TUN device. */
    readonly rootPrefix: string[],
  ) {}

  /** `asSandboxUser` is the prefix that runs a command as a sandbox's user (empty when not root). */
  static detect(asSandboxUser: string[]): SandboxNetwork {
    const works = (prefix: string[]) => {
      const [program, ...args] = [...prefix, ...asSandboxUser, "pasta", ...PASTA_ARGS, "--", "/bin/true"];
      return spawnSync(program as string, args, { stdio: "ignore", timeout: 5000 }).status === 0;
    };
    const privileged = asSandboxUser.length > 0;
    let rootPrefix: string[] = [];
    let pasta = works(rootPrefix);
    if (!pasta && privileged) {
      rootPrefix = tunForOthers();
      pasta = rootPrefix.length > 0 && works(rootPrefix);
    }
    const canRoute = privileged && spawnSync("nsenter", ["--version"], { stdio: "ignore" }).status === 0;
    return new SandboxNetwork(pasta, canRoute ? hostRoutesToBlock() : [], pasta ? rootPrefix : []);
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

/**
 * Where `/dev/net/tun` is root's alone (mode 0600, as some machines keep it), a sandbox's uid
 * cannot open it. As root, a device node of the same kind that others may open is made in a
 * folder only root can enter, and bound over `/dev/net/tun` in a mount namespace of pasta's own;
 * the host's device and every other process keep what they had. Empty when that cannot be done.
 */
function tunForOthers(): string[] {
  const folder = mkdtempSync(join(tmpdir(), "runledger-tun-"));
  const node = join(folder, "tun");
  if (spawnSync("mknod", ["-m", "0666", node, "c", "10", "200"], { stdio: "ignore" }).status !== 0) {
    rmSync(folder, { recursive: true, force: true });
    return [];
  }
  process.once("exit", () => rmSync(folder, { recursive: true, force: true }));
  return ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", 'mount --bind "$0" /dev/net/tun && exec "$@"', node];
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
