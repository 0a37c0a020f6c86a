import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { Log, LogLevel, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { descendants } from "./proc.js";

export interface LocalWorker {
  url: string;
  /** One sweep now, by the Worker's sweeper (as its alarm would run one); returns its report. */
  sweep(): Promise<Record<string, unknown>>;
  /** The stub of one of the Worker's Durable Objects, to call its methods from here (tests, the bench). */
  durableObject<T>(binding: string, name: string): Promise<T>;
  /** Stops the runtime and starts it again on the same port and state, as a deploy does: in-flight work is lost. */
  restart(): Promise<void>;
  /** `listener` runs when the runtime (workerd) ends without being stopped: killed or crashed. */
  onCrash(listener: () => void): void;
  /** The runtime's (workerd's) process id while it runs. */
  pid(): number | undefined;
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WORKER_NAME = "runledger";

/**
 * The Worker in workerd through Miniflare, as it is deployed: the bundle `wrangler deploy` would
 * upload, its Queues and Durable Objects from the same wrangler config, served on one loopback
 * port. No development routes are added: a sweep is started from here, not through a URL that
 * anyone on the port could call, and nothing but the Worker answers.
 */
export async function startLocalWorker(options: {
  port: number;
  vars: Record<string, string>;
  /** Where Queues and Durable Objects keep their state, and where the bundle is written. */
  stateDir: string;
  /** Another entry point and wrangler config (the benchmarks wrap the Worker); the project's by default. */
  script?: string;
  config?: string;
}): Promise<LocalWorker> {
  const config = options.config ?? join(ROOT, "wrangler.toml");
  const bundleDir = join(options.stateDir, "bundle");
  await bundle(config, options.script, bundleDir);
  const { workerOptions } = unstable_getMiniflareWorkerOptions(config);
  // Named after the entry point (index.js for the project's Worker); beside it, `{sha1}-{name}` files are its text modules.
  const script = join(bundleDir, readdirSync(bundleDir).find((file) => file.endsWith(".js") && !/^[0-9a-f]{40}-/.test(file)) ?? "index.js");
  const source = readFileSync(script, "utf8");
  const crashListeners: Array<() => void> = [];
  let disposing = false;
  let runtimes = 0;
  /**
   * workerd's output, printed as Miniflare would; the end of its stdout is the end of the process
   * (Miniflare itself does not watch it), which is a crash unless this side disposed of it.
   */
  const watchRuntime = (stdout: Readable, stderr: Readable) => {
    const runtime = ++runtimes;
    // Without workerd's stack traces: lines of bare addresses in its binary, of no use to a reader.
    const print = (write: (line: string) => void) => (line: string) => {
      if (!line.startsWith("stack: ")) write(line);
    };
    createInterface({ input: stdout }).on(
      "line",
      print((line) => console.log(line)),
    );
    createInterface({ input: stderr }).on(
      "line",
      print((line) => console.error(line)),
    );
    stdout.once("end", () => {
      if (disposing || runtime !== runtimes) return;
      for (const listener of crashListeners) listener();
    });
  };
  const miniflareOptions = {
    host: "127.0.0.1",
    handleRuntimeStdio: watchRuntime,
    port: options.port,
    // Request.cf would be fetched from Cloudflare, which a local stack need not reach.
    cf: false,
    unsafeTriggerHandlers: false,
    logRequests: false,
    log: new Log(LogLevel.WARN),
    defaultPersistRoot: join(options.stateDir, "state"),
    workers: [
      {
        ...workerOptions,
        name: WORKER_NAME,
        modulesRoot: bundleDir,
        modules: [{ type: "ESModule" as const, path: script, contents: source }, ...textModules(bundleDir, source)],
        bindings: { ...workerOptions.bindings, ...options.vars },
      },
    ],
  };
  let mf = new Miniflare(miniflareOptions);
  const url = (await mf.ready).origin;
  const durableObject = async <T>(binding: string, name: string): Promise<T> => {
    const namespace = await mf.getDurableObjectNamespace(binding, WORKER_NAME);
    return namespace.get(namespace.idFromName(name)) as unknown as T;
  };
  return {
    url,
    async sweep() {
      const sweeper = await durableObject<{ sweep(): Promise<string> }>("SWEEPER", "global");
      return JSON.parse(await sweeper.sweep()) as Record<string, unknown>;
    },
    durableObject,
    async restart() {
      disposing = true;
      await mf.dispose();
      mf = new Miniflare({ ...miniflareOptions, port: Number(new URL(url).port) });
      disposing = false;
      await mf.ready;
    },
    onCrash: (listener) => crashListeners.push(listener),
    pid: () => runtimePid(Number(new URL(url).port)),
    stop: () => {
      disposing = true;
      return mf.dispose();
    },
  };
}

/** The workerd below this process that serves `port`. */
function runtimePid(port: number): number | undefined {
  return descendants(process.pid).find((pid) => {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      return args[0]?.endsWith("workerd") && args.includes(`--socket-addr=entry=127.0.0.1:${port}`);
    } catch {
      return false;
    }
  });
}

/**
 * The bundle's additional modules: the files that wrangler.toml's Text rule took in (Scalar's browser
 * bundle for /docs), written beside the script as `{sha1}-{name}` and imported by that name. Only those
 * the script names: an older build may have left others in the folder.
 */
function textModules(bundleDir: string, source: string): Array<{ type: "Text"; path: string; contents: string }> {
  return readdirSync(bundleDir)
    .filter((file) => /^[0-9a-f]{40}-/.test(file) && source.includes(`"./${file}"`))
    .map((file) => ({ type: "Text" as const, path: join(bundleDir, file), contents: readFileSync(join(bundleDir, file), "utf8") }));
}

/** The bundle `wrangler deploy` would upload, built by wrangler itself (`--dry-run`). */
function bundle(config: string, entry: string | undefined, outDir: string): Promise<void> {
  const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
  const args = [wrangler, "deploy", "--dry-run", "--outdir", outDir, "--config", config, ...(entry ? [entry] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`bundling the Worker failed:\n${output.trim()}`))));
  });
}
