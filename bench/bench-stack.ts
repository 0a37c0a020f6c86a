import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RunledgerClient } from "../client/client.js";
import { freePort } from "../local/ports.js";
import type { HostStats } from "../local/sandbox-host/server.js";
import { newSecretEncryptionKey, type Stack, startStack } from "../local/stack.js";
import { startHostProcess } from "./host-process.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface BenchStack {
  stack: Stack;
  adminToken: string;
  /** The sandbox host, in a process of its own so its memory can be read. */
  host: { url: string; apiKey: string; pid: number; stats(): Promise<HostStats> };
  newKey(settings?: Record<string, unknown>): Promise<{ client: RunledgerClient; keyId: string; webhookSecret: string }>;
  stop(): Promise<void>;
}

/**
 * The local stack for a benchmark: the Worker wrapped with the bare ceiling route, and the sandbox
 * host as a separate process. `runQueue: false` leaves the run queue without a consumer, so the
 * front door is measured without the runs it queues competing for the same cores.
 */
export async function startBenchStack(options: {
  runQueue: boolean;
  workerVars?: Record<string, string>;
  /** Sandboxes the host allows at once (its SANDBOX_HOST_MAX_SANDBOXES; 100 by default). */
  hostMaxSandboxes?: number;
}): Promise<BenchStack> {
  const dataDir = mkdtempSync(join(tmpdir(), "runledger-bench-"));
  const apiKey = `bench_${randomBytes(16).toString("hex")}`;
  const host = await startHostProcess({
    SANDBOX_HOST_DATA_DIR: join(dataDir, "sandbox-host"),
    SANDBOX_HOST_API_KEY: apiKey,
    ...(options.hostMaxSandboxes ? { SANDBOX_HOST_MAX_SANDBOXES: String(options.hostMaxSandboxes) } : {}),
  });
  const adminToken = `bench-${randomBytes(12).toString("hex")}`;
  const config = join(dataDir, "wrangler.toml");
  writeFileSync(config, benchConfig(options.runQueue));
  let stack: Stack;
  try {
    stack = await startStack({
      dataDir,
      port: await freePort(),
      adminToken,
      secretEncryptionKey: newSecretEncryptionKey(),
      e2bApiUrl: host.url,
      e2bApiKey: apiKey,
      workerScript: join(ROOT, "bench/ceiling-worker.ts"),
      workerConfig: config,
      workerVars: options.workerVars,
    });
  } catch (error) {
    await host.stop();
    throw error;
  }
  return {
    stack,
    adminToken,
    host: {
      url: host.url,
      apiKey,
      pid: host.child.pid as number,
      async stats() {
        const res = await fetch(`${host.url}/_local/stats`, { headers: { "x-api-key": apiKey } });
        if (!res.ok) throw new Error(`the host's stats: ${res.status}`);
        return (await res.json()) as HostStats;
      },
    },
    async newKey(settings = {}) {
      const res = await fetch(`${stack.url}/admin/keys`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "bench", budget_usd: "100000", budget_period: "day", max_concurrency: 1000, ...settings }),
      });
      if (res.status !== 201) throw new Error(`creating a bench key: ${res.status} ${await res.text()}`);
      const key = (await res.json()) as { id: string; secret: string; webhook_secret: string };
      return {
        client: new RunledgerClient({ url: stack.url, keyId: key.id, secret: key.secret }),
        keyId: key.id,
        webhookSecret: key.webhook_secret,
      };
    },
    async stop() {
      await stack.stop();
      await host.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The project's wrangler config, its run queue's consumer dropped if asked. */
function benchConfig(runQueue: boolean): string {
  const original = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const isRunConsumer = (block: string) => block.startsWith("[[queues.consumers]]") && block.includes('queue = "runledger-runs"\n');
  return original
    .split(/\n(?=\[)/)
    .filter((block) => runQueue || !isRunConsumer(block))
    .join("\n")
    .replace(/^main = .*$/m, "");
}
