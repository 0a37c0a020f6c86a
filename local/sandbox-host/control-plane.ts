import type { IncomingMessage, ServerResponse } from "node:http";
import type { Faults } from "./faults.js";
import { HttpError, readJson, sendApiError, sendEmpty, sendJson, stringRecord } from "./http.js";
import type { SandboxRegistry } from "./registry.js";
import type { Sandbox } from "./sandbox.js";

export const ENVD_VERSION = "0.6.4";
const DEFAULT_TIMEOUT_S = 300;
const MAX_TIMEOUT_S = 24 * 60 * 60;
const DEFAULT_PAGE = 100;

interface ControlPlaneDeps {
  registry: SandboxRegistry;
  faults: Faults;
}

/** E2B's control plane: sandboxes are created, found, extended and killed here. */
export async function handleControlPlane(req: IncomingMessage, res: ServerResponse, url: URL, deps: ControlPlaneDeps): Promise<void> {
  const { registry } = deps;
  const method = req.method ?? "GET";
  const parts = url.pathname.split("/").filter(Boolean);
  const v2 = parts[0] === "v2";
  const [collection, id, action] = v2 ? parts.slice(1) : parts;
  if (collection !== "sandboxes") return sendApiError(res, 404, `no route for ${method} ${url.pathname}`);

  if (id === undefined) {
    if (method === "POST" && v2) return create(req, res, deps);
    if (method === "GET") return list(res, url, registry, v2);
  } else if (action === undefined) {
    if (method === "GET") return sendJson(res, 200, info(found(registry, id)));
    if (method === "DELETE") {
      await found(registry, id).kill();
      return sendEmpty(res, 204);
    }
  } else if (method === "POST" && action === "timeout") {
    const sandbox = found(registry, id);
    sandbox.setTimeout(timeoutSeconds((await readJson(req)).timeout, true) * 1000);
    return sendEmpty(res, 204);
  } else if (method === "POST" && action === "connect" && v2) {
    const sandbox = found(registry, id);
    const body = await readJson(req);
    const wanted = body.timeout === undefined ? undefined : timeoutSeconds(body.timeout, true) * 1000;
    if (sandbox.paused) {
      // Connecting resumes a paused sandbox, as on E2B (201: it was started again).
      sandbox.resume(wanted ?? DEFAULT_TIMEOUT_S * 1000);
      return sendJson(res, 201, created(sandbox));
    }
    if (wanted !== undefined && Date.now() + wanted > sandbox.endAt.getTime()) sandbox.setTimeout(wanted);
    return sendJson(res, 200, created(sandbox));
  } else if (method === "POST" && action === "pause") {
    // 409 when it is paused already: the SDK's pause() then answers false.
    if (!found(registry, id).pause()) return sendApiError(res, 409, `sandbox "${id}" is already paused`);
    return sendEmpty(res, 204);
  } else if (method === "GET" && action === "metrics") {
    const start = unixSeconds(url.searchParams.get("start"), "start");
    const end = unixSeconds(url.searchParams.get("end"), "end");
    return sendJson(res, 200, found(registry, id).metrics(start, end));
  }
  return sendApiError(res, 404, `no route for ${method} ${url.pathname}`);
}

async function create(req: IncomingMessage, res: ServerResponse, { registry, faults }: ControlPlaneDeps): Promise<void> {
  const body = await readJson(req);
  const delay = faults.takeCreateDelay();
  if (delay) await new Promise((resolve) => setTimeout(resolve, delay.ms));
  const failure = faults.takeCreateFailure();
  if (failure) {
    const headers: Record<string, string> =
      failure.retryAfterSeconds === undefined ? {} : { "retry-after": String(failure.retryAfterSeconds) };
    const message = failure.status === 429 ? "Rate limit exceeded, please try again later." : "Failed to place sandbox";
    return sendApiError(res, failure.status, message, headers);
  }
  if (typeof body.templateID !== "string" || body.templateID === "") throw new HttpError(400, "templateID is required");
  const template = registry.templates.get(body.templateID);
  if (!template) return sendApiError(res, 404, `template '${body.templateID}' not found`);
  if (registry.size >= registry.maxSandboxes) {
    registry.counts.refused += 1;
    return sendApiError(
      res,
      429,
      `you have reached the maximum number of concurrent E2B sandboxes (${registry.maxSandboxes}). If you need more, please visit 'https://e2b.dev/docs/billing'`,
    );
  }
  if (!registry.admitCreate()) {
    registry.counts.refused += 1;
    return sendApiError(res, 429, "Rate limit exceeded: too many sandboxes created in the last second", { "retry-after": "1" });
  }
  const allow = body.allow_internet_access;
  if (allow !== undefined && allow !== null && typeof allow !== "boolean")
    throw new HttpError(400, "allow_internet_access must be a boolean");
  const sandbox = await registry.create(
    { template, allowInternetAccess: allow ?? true },
    {
      timeoutMs: timeoutSeconds(body.timeout, false) * 1000,
      metadata: stringRecord(body.metadata, "metadata"),
      envVars: stringRecord(body.envVars, "envVars"),
      autoPause: body.autoPause === true,
      autoResume: (body.autoResume as { enabled?: unknown } | undefined)?.enabled === true,
    },
  );
  sendJson(res, 201, created(sandbox));
}

function list(res: ServerResponse, url: URL, registry: SandboxRegistry, paged: boolean): void {
  const states = url.searchParams.get("state")?.split(",") ?? ["running", "paused"];
  const wanted = parseMetadataFilter(url.searchParams.get("metadata"));
  const template = url.searchParams.get("template");
  const startedAfter = url.searchParams.get("startedAfter");
  const after = startedAfter === null ? undefined : Date.parse(startedAfter);
  if (after !== undefined && Number.isNaN(after)) throw new HttpError(400, "startedAfter must be an RFC 3339 time");
  const order = url.searchParams.get("order") ?? "desc";
  if (order !== "asc" && order !== "desc") throw new HttpError(400, "order must be asc or desc");
  // Newest first unless asked otherwise, as E2B lists them.
  const sign = order === "asc" ? 1 : -1;
  const compare = (a: Sandbox, b: Sandbox) => sign * (a.startedAt.getTime() - b.startedAt.getTime() || (a.id < b.id ? -1 : 1));
  let sandboxes = registry
    .running()
    .filter((s) => states.includes(s.paused ? "paused" : "running"))
    .filter((s) => Object.entries(wanted).every(([k, v]) => s.metadata[k] === v))
    .filter((s) => !template || s.template.id === template || s.template.aliases.includes(template))
    .filter((s) => after === undefined || s.startedAt.getTime() >= after)
    .sort(compare);
  if (!paged) {
    sendJson(res, 200, sandboxes.map(info));
    return;
  }
  const limit = Math.min(Math.max(Number(url.searchParams.get("limit")) || DEFAULT_PAGE, 1), 1000);
  const cursor = url.searchParams.get("nextToken");
  if (cursor) {
    // The token names the last sandbox of the previous page by start time and id, so a sandbox
    // that ends between two pages shifts nothing.
    const [at, id] = Buffer.from(cursor, "base64url").toString().split("/");
    const last = { startedAt: new Date(Number(at)), id: id ?? "" } as Sandbox;
    sandboxes = sandboxes.filter((s) => compare(s, last) > 0);
  }
  const page = sandboxes.slice(0, limit);
  const last = page.at(-1);
  const headers: Record<string, string> =
    sandboxes.length > limit && last ? { "x-next-token": Buffer.from(`${last.startedAt.getTime()}/${last.id}`).toString("base64url") } : {};
  sendJson(res, 200, page.map(info), headers);
}

/** The SDK sends the filter URL-encoded twice: `metadata=k%3Dv%26k2%3Dv2`. */
function parseMetadataFilter(raw: string | null): Record<string, string> {
  const filter: Record<string, string> = {};
  if (!raw) return filter;
  for (const [key, value] of new URLSearchParams(raw)) filter[decodeURIComponent(key)] = decodeURIComponent(value);
  return filter;
}

function timeoutSeconds(value: unknown, required: boolean): number {
  if (value === undefined || value === null) {
    if (required) throw new HttpError(400, "timeout is required");
    return DEFAULT_TIMEOUT_S;
  }
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw new HttpError(400, "timeout must be a number of seconds");
  if (value > MAX_TIMEOUT_S) throw new HttpError(400, `timeout cannot be more than ${MAX_TIMEOUT_S} seconds`);
  return value;
}

function unixSeconds(value: string | null, field: string): number | undefined {
  if (value === null || value === "") return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds)) throw new HttpError(400, `${field} must be a unix time in seconds`);
  return seconds;
}

function found(registry: SandboxRegistry, id: string): Sandbox {
  const sandbox = registry.get(id);
  if (!sandbox) throw new HttpError(404, `sandbox "${id}" not found`);
  return sandbox;
}

function created(sandbox: Sandbox) {
  return {
    sandboxID: sandbox.id,
    templateID: sandbox.template.id,
    clientID: sandbox.clientId,
    envdVersion: ENVD_VERSION,
    envdAccessToken: sandbox.envdAccessToken,
    domain: null,
    trafficAccessToken: sandbox.trafficAccessToken,
  };
}

function info(sandbox: Sandbox) {
  return {
    sandboxID: sandbox.id,
    templateID: sandbox.template.id,
    clientID: sandbox.clientId,
    startedAt: sandbox.startedAt.toISOString(),
    endAt: sandbox.endAt.toISOString(),
    state: sandbox.paused ? "paused" : "running",
    lifecycle: { onTimeout: sandbox.autoPause ? "pause" : "kill", autoResume: sandbox.autoResume },
    cpuCount: sandbox.template.cpuCount,
    memoryMB: sandbox.template.memoryMB,
    diskSizeMB: sandbox.template.diskSizeMB,
    envdVersion: ENVD_VERSION,
    metadata: sandbox.metadata,
    allowInternetAccess: sandbox.allowInternetAccess,
  };
}
