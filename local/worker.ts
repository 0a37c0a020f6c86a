import { fileURLToPath } from "node:url";
import { unstable_startWorker } from "wrangler";

export interface LocalWorker {
  url: string;
  /** Runs the Worker's cron handler once, as Cloudflare's scheduler would. */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The Worker in workerd, under wrangler's local mode: its Queue and cron run on this machine. */
export async function startLocalWorker(options: {
  port: number;
  vars: Record<string, string>;
  persistTo?: string;
  /** Another entry point and wrangler config (the benchmarks wrap the Worker); the project's by default. */
  script?: string;
  config?: string;
}): Promise<LocalWorker> {
  process.env.WRANGLER_SEND_METRICS = "false";
  // Wrangler's own chatter (a line per queue batch) is not the stack's to print.
  process.env.WRANGLER_LOG ??= "error";
  const worker = await unstable_startWorker({
    entrypoint: options.script ?? `${ROOT}functions/index.ts`,
    config: options.config ?? `${ROOT}wrangler.toml`,
    bindings: Object.fromEntries(Object.entries(options.vars).map(([name, value]) => [name, { type: "plain_text", value }])),
    dev: {
      server: { hostname: "127.0.0.1", port: options.port },
      persist: options.persistTo ?? false,
      logLevel: "error",
      watch: false,
      testScheduled: true,
      // No DevTools: the inspector proxy reports every outbound fetch to this process, which a
      // stack that drives sandboxes over HTTP pays for on every run.
      inspector: false,
      registry: undefined,
    },
  });
  await worker.ready;
  const url = (await worker.url).origin;
  return {
    url,
    async tick() {
      const res = await fetch(`${url}/__scheduled?cron=*+*+*+*+*`);
      await res.text();
    },
    stop: () => worker.dispose(),
  };
}
