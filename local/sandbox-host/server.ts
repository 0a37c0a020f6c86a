import { timingSafeEqual } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { handleControlPlane } from "./control-plane.js";
import { handleEnvd } from "./envd.js";
import { Faults } from "./faults.js";
import { HttpError, readJson, sendApiError, sendEmpty, sendJson } from "./http.js";
import { handleInterpreter } from "./interpreter.js";
import { Isolation, type IsolationMode } from "./isolation.js";
import { SandboxRegistry } from "./registry.js";
import type { Sandbox } from "./sandbox.js";
import { signedSandbox } from "./signed-files.js";
import { loadTemplates } from "./templates.js";

const ENVD_PORT = "49983";
const INTERPRETER_PORT = "49999";
const RUNTIME_DIR = fileURLToPath(new URL("./runtime", import.meta.url));

export interface SandboxHostOptions {
  /** 0 picks a free port. */
  port?: number;
  /** When set, the `X-API-KEY` header must equal it; otherwise any non-empty key is accepted. */
  apiKey?: string;
  dataDir?: string;
  templatesFile?: string;
  isolation?: IsolationMode;
  /** What runs Python contexts: IPython where installed (the default), or the fast kernel. */
  pythonKernel?: "ipython" | "fast";
  /** Enables `/_local/faults`, the fault-injection control endpoint. */
  faults?: boolean;
  /** Sandboxes alive at once; the next create gets E2B's 429 (default 100). */
  maxSandboxes?: number;
  /** Creates a second; beyond it, E2B's 429 (default: no limit). */
  maxCreatesPerSecond?: number;
  /** Machines kept started ahead of demand per template and network setting (default 2). */
  warmMachines?: number;
  keepaliveMs?: number;
}

export interface SandboxHost {
  url: string;
  port: number;
  isolation: Isolation;
  registry: SandboxRegistry;
  /** What the host has served so far (also `GET /_local/stats`, with the API key). */
  stats(): HostStats;
  close(): Promise<void>;
}

export interface HostStats {
  /** Requests of the E2B API and of sandboxes: every call a provider would see. */
  requests: number;
  alive: number;
  peak: number;
  refused: number;
}

/** Starts the E2B-compatible host on 127.0.0.1: control plane and sandbox traffic on one port. */
export async function startSandboxHost(options: SandboxHostOptions = {}): Promise<SandboxHost> {
  const dataDir = resolve(options.dataDir ?? join(".runledger", "sandbox-host"));
  try {
    // What a previous run left: its sandboxes died with it.
    rmSync(join(dataDir, "sandboxes"), { recursive: true, force: true });
    mkdirSync(join(dataDir, "sandboxes"), { recursive: true });
  } catch (error) {
    throw new Error(`the data directory ${dataDir} is not usable: ${(error as Error).message}`);
  }
  const isolation = Isolation.detect(
    options.isolation ?? (process.env.SANDBOX_HOST_ISOLATION as IsolationMode | undefined) ?? "auto",
    RUNTIME_DIR,
    options.pythonKernel,
  );
  const registry = new SandboxRegistry(loadTemplates(options.templatesFile), isolation, dataDir, {
    maxSandboxes: options.maxSandboxes ?? 100,
    maxCreatesPerSecond: options.maxCreatesPerSecond,
    warmMachines: options.warmMachines ?? 2,
  });
  const faults = new Faults(options.faults ?? false);
  const keepaliveMs = options.keepaliveMs ?? 5000;
  let requests = 0;
  const stats = (): HostStats => ({ requests, alive: registry.size, peak: registry.counts.peak, refused: registry.counts.refused });

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/_local/stats") {
      if (!apiKeyAccepted(req.headers["x-api-key"], options.apiKey)) return sendApiError(res, 401, "Invalid API key");
      return sendJson(res, 200, stats());
    }
    requests += 1;
    const sandboxId = req.headers["e2b-sandbox-id"];
    if (typeof sandboxId === "string") {
      const sandbox = registry.get(sandboxId);
      const port = req.headers["e2b-sandbox-port"];
      // One answer for an unknown sandbox and for one this caller holds no token of: no id can be probed.
      if (!sandbox?.admits(req.headers, port === ENVD_PORT)) {
        return sendJson(res, 502, { sandboxId, message: "The sandbox was not found", code: 502 });
      }
      if (!awake(sandbox)) return sendJson(res, 502, { sandboxId, message: "The sandbox is paused", code: 502 });
      if (port === ENVD_PORT) return handleEnvd(req, res, url, sandbox);
      if (port === INTERPRETER_PORT && sandbox.template.codeInterpreter) {
        return handleInterpreter(req, res, url, sandbox, { faults, keepaliveMs });
      }
      return sendJson(res, 502, { sandboxId, message: "The sandbox is running but port is not open", port: Number(port), code: 502 });
    }
    if (url.pathname === "/files" && url.searchParams.has("signature")) {
      // A signed file URL: the signature, made with a sandbox's token, names the sandbox.
      const signed = signedSandbox(registry.running(), url, req.method ?? "GET");
      if ("status" in signed) return sendApiError(res, signed.status, signed.message);
      if (!awake(signed.sandbox)) return sendJson(res, 502, { message: "The sandbox is paused", code: 502 });
      return handleEnvd(req, res, url, signed.sandbox);
    }
    if (url.pathname.startsWith("/_local/")) return handleLocal(req, res, url, faults);
    if (!apiKeyAccepted(req.headers["x-api-key"], options.apiKey)) return sendApiError(res, 401, "Invalid API key");
    return handleControlPlane(req, res, url, { registry, faults });
  };

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) return sendApiError(res, error.status, error.message, error.headers);
      console.error("sandbox host: unexpected failure:", error);
      sendApiError(res, 500, "internal error in the local sandbox host");
    });
  });
  server.keepAliveTimeout = 60_000;
  await listen(server, options.port ?? 3030);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    isolation,
    registry,
    stats,
    async close() {
      await registry.killAll();
      isolation.close();
      server.closeAllConnections();
      await new Promise((done) => server.close(() => done(undefined)));
    },
  };
}

/** Whether a sandbox can take traffic: running, or paused with auto-resume (which this wakes). */
function awake(sandbox: Sandbox): boolean {
  if (!sandbox.paused) return true;
  if (!sandbox.autoResume) return false;
  sandbox.resume(sandbox.timeoutMs);
  return true;
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((done, fail) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      fail(
        error.code === "EADDRINUSE" ? new Error(`port ${port} on 127.0.0.1 is already in use; set SANDBOX_HOST_PORT to another`) : error,
      );
    });
    server.listen(port, "127.0.0.1", () => done());
  });
}

function apiKeyAccepted(sent: string | string[] | undefined, expected: string | undefined): boolean {
  if (typeof sent !== "string" || sent === "") return false;
  if (expected === undefined) return true;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function handleLocal(req: IncomingMessage, res: ServerResponse, url: URL, faults: Faults): Promise<void> {
  const remote = req.socket.remoteAddress ?? "";
  if (!faults.enabled || url.pathname !== "/_local/faults" || !["127.0.0.1", "::1", "::ffff:127.0.0.1"].includes(remote)) {
    return sendApiError(res, 404, `no route for ${req.method} ${url.pathname}`);
  }
  if (req.method === "GET") return sendJson(res, 200, faults.pending());
  if (req.method === "DELETE") {
    faults.clear();
    return sendEmpty(res, 204);
  }
  if (req.method === "POST") {
    faults.set(await readJson(req));
    return sendJson(res, 200, faults.pending());
  }
  throw new HttpError(405, "use GET, POST or DELETE");
}
