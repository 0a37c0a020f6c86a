import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { startDatabaseFront } from "./database-front.js";
import { startDnsEndpoint } from "./dns-endpoint.js";
import { applyMigrations } from "./migrate.js";
import { type NeonHttpEndpoint, startNeonHttpEndpoint } from "./neon-http.js";
import type { NeonProxy } from "./neon-proxy.js";
import { assertPortFree, freePort } from "./ports.js";
import { type LocalPostgres, startLocalPostgres } from "./postgres.js";
import { type SandboxHost, startSandboxHost } from "./sandbox-host/server.js";
import { type SandboxHostProcess, startSandboxHostProcess } from "./sandbox-host-process.js";
import { Supervisor, type SupervisorReport } from "./supervisor.js";
import { type LocalWorker, startLocalWorker } from "./worker.js";

export interface StackOptions {
  /** Where Postgres keeps its data and the Worker its local state. */
  dataDir: string;
  port: number;
  adminToken: string;
  /** The key-encryption key for secrets at rest (base64 of 32 bytes). */
  secretEncryptionKey: string;
  /** Use this Postgres instead of starting one. */
  databaseUrl?: string;
  /** Pool the Worker's connections with PgBouncer when it is installed (the default). */
  pgbouncer?: boolean;
  /** Use real E2B (with no E2B_API_URL) instead of the local sandbox host. */
  e2bApiKey?: string;
  e2bApiUrl?: string;
  sandboxHostFaults?: boolean;
  /** The local host's caps: sandboxes at once (default 100) and creates a second (default none). */
  sandboxHostLimits?: { maxSandboxes?: number; maxCreatesPerSecond?: number; pythonKernel?: "ipython" | "fast" };
  /**
   * The sandbox host in a process of its own, started again if it dies (npm start), rather than
   * in this process (the test suites' stacks, as before).
   */
  sandboxHostProcess?: boolean;
  /** More Worker vars (a shorter webhook retry schedule for tests, say). */
  workerVars?: Record<string, string>;
  /** Another Worker entry point and wrangler config; the project's by default. */
  workerScript?: string;
  workerConfig?: string;
  /**
   * Told when a component (Postgres, the sandbox host, workerd) dies: a line as it is restarted,
   * and `fatal` when it cannot be, once everything is stopped. By default both print to stderr.
   */
  supervisor?: Partial<SupervisorReport>;
}

export interface Stack {
  url: string;
  databaseUrl: string;
  wsProxy: string | undefined;
  /** Whether PgBouncer pools the Worker's connections (else the proxy connects straight to Postgres). */
  pooled: boolean;
  /** The local sandbox host (in a process of its own with `sandboxHostProcess`). */
  sandboxHost: SandboxHostProcess | undefined;
  /** The embedded Postgres, when the stack started one. */
  postgres: LocalPostgres | undefined;
  /** The API key the Worker uses for E2B or the sandbox host. */
  e2bApiKey: string;
  worker: LocalWorker;
  /** The SQL-over-HTTP endpoint the Worker uses, for a Postgres that is not Neon. */
  httpEndpoint: string | undefined;
  /** Statements the Worker has sent to Postgres so far, counted at its WebSocket proxy. */
  databaseStatements(): number;
  stop(): Promise<void>;
}

export function newSecretEncryptionKey(): string {
  return randomBytes(32).toString("base64");
}

/**
 * The whole system on loopback: a real Postgres (embedded unless a URL is given), migrations, the
 * WebSocket proxy the Neon driver needs to reach it, the E2B-compatible sandbox host (unless real
 * E2B is configured), and the Worker in workerd with its Queues and Durable Objects.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const dataDir = resolve(options.dataDir);
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    supervisor.stopping();
    for (const step of stops.splice(0).reverse()) await step().catch(() => {});
  };
  const supervisor = new Supervisor(
    {
      log: options.supervisor?.log ?? ((line) => console.error(`runledger: ${line}`)),
      fatal: options.supervisor?.fatal ?? ((reason) => console.error(`runledger stopped: ${reason}`)),
    },
    stop,
  );
  try {
    await assertPortFree(options.port, "the Worker");
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (error) {
      throw new Error(`the data directory ${dataDir} is not usable: ${(error as Error).message}`);
    }

    let postgres: LocalPostgres | undefined;
    let proxy: NeonProxy | undefined;
    let pooled = false;
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      postgres = await startLocalPostgres(dataDir, await freePort());
      stops.push(() => (postgres as LocalPostgres).stop());
      databaseUrl = postgres.url;
    }
    const url = new URL(databaseUrl);
    const isNeon = url.hostname.endsWith(".neon.tech");
    let http: NeonHttpEndpoint | undefined;
    if (!isNeon) {
      const front = await startDatabaseFront({ url, dataDir, postgres, pgbouncer: options.pgbouncer });
      stops.push(...front.stops);
      proxy = front.proxy;
      pooled = front.pooled;
      http = await startNeonHttpEndpoint({ databaseUrl, wsProxy: front.proxy.address });
      stops.push(() => (http as NeonHttpEndpoint).close());
    }
    await applyMigrations(databaseUrl, proxy?.address);

    let sandboxHost: SandboxHostProcess | undefined;
    const e2b: Record<string, string> = {};
    if (options.e2bApiKey && !options.e2bApiUrl) {
      e2b.E2B_API_KEY = options.e2bApiKey;
    } else if (options.e2bApiUrl) {
      Object.assign(e2b, { E2B_API_KEY: options.e2bApiKey ?? "local", E2B_API_URL: options.e2bApiUrl, E2B_SANDBOX_URL: options.e2bApiUrl });
    } else {
      // A key of its own, so code inside a sandbox cannot drive the host's control plane over loopback.
      const apiKey = `local_${randomBytes(16).toString("hex")}`;
      const hostOptions = {
        port: await freePort(),
        apiKey,
        dataDir: join(dataDir, "sandbox-host"),
        faults: options.sandboxHostFaults,
        ...options.sandboxHostLimits,
      };
      sandboxHost = options.sandboxHostProcess
        ? await startSandboxHostProcess(hostOptions)
        : inThisProcess(await startSandboxHost(hostOptions));
      stops.push(() => (sandboxHost as SandboxHostProcess).close());
      Object.assign(e2b, { E2B_API_KEY: apiKey, E2B_API_URL: sandboxHost.url, E2B_SANDBOX_URL: sandboxHost.url });
    }

    const dns = await startDnsEndpoint();
    stops.push(() => dns.close());
    const worker = await startLocalWorker({
      port: options.port,
      stateDir: join(dataDir, "worker"),
      script: options.workerScript,
      config: options.workerConfig,
      vars: {
        DATABASE_URL: databaseUrl,
        ...(proxy ? { NEON_WS_PROXY: proxy.address } : {}),
        ...(http ? { NEON_HTTP_ENDPOINT: http.url } : {}),
        ADMIN_TOKEN: options.adminToken,
        SECRET_ENCRYPTION_KEY: options.secretEncryptionKey,
        ALLOW_PRIVATE_WEBHOOKS: "true",
        DNS_RESOLVER_URL: dns.url,
        // The local host has no create rate of E2B's (1/s on Hobby) unless asked for one.
        MAX_CREATES_PER_SECOND: "100",
        ...e2b,
        ...options.workerVars,
      },
    });
    stops.push(() => worker.stop());

    // From here on a component that dies is started again, or everything stops.
    if (postgres) {
      const db = postgres;
      // Its old processes end once they see it gone; until then a new server refuses the data directory.
      supervisor.watch({ name: "Postgres", pid: db.pid, onCrash: db.onCrash, restart: db.restart, retryForMs: 4000 });
    }
    if (sandboxHost && options.sandboxHostProcess) {
      const host = sandboxHost;
      supervisor.watch({ name: "the sandbox host", pid: host.pid, onCrash: host.onCrash, restart: host.restart, retryForMs: 2000 });
    }
    supervisor.watch({
      name: "workerd (the Worker's runtime)",
      pid: worker.pid,
      onCrash: worker.onCrash,
      restart: worker.restart,
      retryForMs: 2000,
    });
    return {
      url: worker.url,
      databaseUrl,
      wsProxy: proxy?.address,
      pooled,
      sandboxHost,
      postgres,
      e2bApiKey: e2b.E2B_API_KEY as string,
      worker,
      // Over both ways in: the HTTP endpoint's own statements travel through the proxy too.
      httpEndpoint: http?.url,
      databaseStatements: () => proxy?.statements() ?? 0,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The sandbox host run in this process, seen as its own process would be (it dies only with this one). */
function inThisProcess(host: SandboxHost): SandboxHostProcess {
  return {
    url: host.url,
    port: host.port,
    pid: () => process.pid,
    stats: async () => host.stats(),
    onCrash: () => {},
    restart: async () => {},
    close: () => host.close(),
  };
}
