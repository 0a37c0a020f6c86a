import { fileURLToPath } from "node:url";
import { unstable_dev } from "wrangler";

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
  const worker = await unstable_dev(options.script ?? `${ROOT}functions/index.ts`, {
    config: options.config ?? `${ROOT}wrangler.toml`,
    ip: "127.0.0.1",
    port: options.port,
    local: true,
    vars: options.vars,
    persist: options.persistTo !== undefined,
    persistTo: options.persistTo,
    logLevel: "error",
    experimental: { disableExperimentalWarning: true, testScheduled: true, disableDevRegistry: true, watch: false },
  });
  const url = `http://127.0.0.1:${worker.port}`;
  return {
    url,
    async tick() {
      const res = await fetch(`${url}/__scheduled?cron=*+*+*+*+*`);
      await res.text();
    },
    stop: () => worker.stop(),
  };
}
