import type { IncomingMessage, ServerResponse } from "node:http";
import { gunzipSync } from "node:zlib";
import { flowControlledWriter } from "./flow.js";
import { HttpError, MAX_BODY_BYTES, readBody, sendEmpty, sendJson } from "./http.js";
import type { AgentEvent, Sandbox } from "./sandbox.js";

const END_STREAM = 0x02;
const SIGNALS: Record<string, number> = { SIGNAL_SIGKILL: 9, SIGNAL_SIGTERM: 15 };

/** envd, the daemon in every E2B sandbox (port 49983): health, files and processes. */
export async function handleEnvd(req: IncomingMessage, res: ServerResponse, url: URL, sandbox: Sandbox): Promise<void> {
  const method = req.method ?? "GET";
  if (url.pathname === "/health" && method === "GET") return sendEmpty(res, 204);
  if (url.pathname === "/files") {
    const path = url.searchParams.get("path");
    if (method === "GET") return readFile(res, sandbox, requiredPath(path));
    if (method === "POST") return writeFiles(req, res, sandbox, path);
  }
  if (method === "POST" && url.pathname === "/process.Process/Start") return startProcess(req, res, sandbox);
  if (method === "POST" && url.pathname.startsWith("/process.Process/")) {
    return processControl(
      url.pathname.slice("/process.Process/".length),
      JSON.parse((await readBody(req)).toString() || "{}"),
      res,
      sandbox,
    );
  }
  return sendJson(res, 404, { code: "unimplemented", message: `${method} ${url.pathname} is not emulated by the local sandbox host` });
}

function requiredPath(path: string | null): string {
  if (!path) throw new HttpError(400, "path is required");
  return path;
}

/** Sends one request to the supervisor and waits for its single answer. */
function ask(sandbox: Sandbox, op: string, fields: Record<string, unknown>): Promise<AgentEvent> {
  return new Promise((resolve) => {
    const id = sandbox.request(op, fields, (event) => {
      sandbox.stopListening(id);
      resolve(event);
    });
  });
}

function fileFailure(event: AgentEvent): HttpError {
  if (event.type === "sandbox_gone") return new HttpError(502, "The sandbox was not found");
  const status = event.code === "not_found" ? 404 : event.code === "permission" ? 403 : 400;
  return new HttpError(status, String(event.message));
}

async function readFile(res: ServerResponse, sandbox: Sandbox, path: string): Promise<void> {
  const event = await ask(sandbox, "read_file", { path });
  if (event.type !== "file_data") throw fileFailure(event);
  const data = Buffer.from(String(event.data), "base64");
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": data.length });
  res.end(data);
}

async function writeFiles(req: IncomingMessage, res: ServerResponse, sandbox: Sandbox, path: string | null): Promise<void> {
  const body = await readBody(req);
  const type = req.headers["content-type"] ?? "";
  const uploads: { path: string; data: Buffer }[] = [];
  if (type.startsWith("multipart/form-data")) {
    const form = await new Request("http://local/", { method: "POST", headers: { "content-type": type }, body }).formData();
    for (const part of form.getAll("file")) {
      if (typeof part === "string") continue;
      uploads.push({ path: path ?? part.name, data: Buffer.from(await part.arrayBuffer()) });
    }
  } else {
    const raw = req.headers["content-encoding"] === "gzip" ? gunzipSync(body, { maxOutputLength: MAX_BODY_BYTES }) : body;
    uploads.push({ path: requiredPath(path), data: raw });
  }
  if (uploads.length === 0) throw new HttpError(400, "no file in the request");
  const written = [];
  for (const upload of uploads) {
    const event = await ask(sandbox, "write_file", { path: upload.path, data: upload.data.toString("base64") });
    if (event.type !== "file_written") throw fileFailure(event);
    written.push({ path: event.path, name: event.name, type: "file" });
  }
  sendJson(res, 200, written);
}

function frame(message: unknown, flags = 0): Buffer {
  const json = Buffer.from(JSON.stringify(message));
  const header = Buffer.alloc(5);
  header.writeUInt8(flags, 0);
  header.writeUInt32BE(json.length, 1);
  return Buffer.concat([header, json]);
}

async function startProcess(req: IncomingMessage, res: ServerResponse, sandbox: Sandbox): Promise<void> {
  const body = await readBody(req);
  if (body.length < 5 || (body.readUInt8(0) & 0x01) !== 0) throw new HttpError(400, "expected one uncompressed Connect envelope");
  const start = JSON.parse(body.subarray(5, 5 + body.readUInt32BE(1)).toString()) as {
    process?: { cmd?: string; args?: string[]; envs?: Record<string, string>; cwd?: string };
    stdin?: boolean;
  };
  if (!start.process?.cmd) throw new HttpError(400, "process.cmd is required");
  const timeoutMs = Number(req.headers["connect-timeout-ms"]) || 0;
  const keepaliveS = Number(req.headers["keepalive-ping-interval"]) || 0;

  res.writeHead(200, { "content-type": "application/connect+json" });
  res.flushHeaders();
  const send = flowControlledWriter(res, sandbox);
  const timers: NodeJS.Timeout[] = [];
  let pid: number | undefined;
  const end = (error?: { code: string; message: string }) => {
    for (const timer of timers) clearTimeout(timer);
    sandbox.stopListening(requestId);
    if (pid !== undefined) sandbox.commands.delete(pid);
    res.end(frame(error ? { error } : {}, END_STREAM));
  };
  const requestId = sandbox.request(
    "spawn",
    {
      argv: [start.process.cmd, ...(start.process.args ?? [])],
      env: start.process.envs ?? {},
      cwd: start.process.cwd,
      stdin: start.stdin === true,
    },
    (event) => {
      switch (event.type) {
        case "start":
          pid = event.pid as number;
          sandbox.commands.set(pid, requestId);
          send(frame({ event: { start: { pid } } }));
          break;
        case "stdout":
        case "stderr":
          send(frame({ event: { data: { [event.type]: event.data } } }));
          break;
        case "end":
          send(frame({ event: { end: { exitCode: event.exitCode, exited: true, status: event.status } } }));
          end();
          break;
        case "spawn_error":
          end({ code: "resource_exhausted", message: String(event.message) });
          break;
        case "sandbox_gone":
          end({ code: "unavailable", message: "the sandbox was killed" });
          break;
      }
    },
  );
  // A caller that goes away leaves its command running, as envd does; only our timers stop.
  res.on("close", () => {
    for (const timer of timers) clearTimeout(timer);
    sandbox.stopListening(requestId);
  });
  if (keepaliveS > 0) {
    timers.push(setInterval(() => res.write(frame({ event: { keepalive: {} } })), keepaliveS * 1000));
  }
  if (timeoutMs > 0) {
    timers.push(
      setTimeout(() => {
        sandbox.request("signal", { target: requestId, signal: 9 });
        end({ code: "deadline_exceeded", message: `the command ran past its ${timeoutMs} ms deadline and was killed` });
      }, timeoutMs),
    );
  }
}

function processControl(method: string, body: Record<string, unknown>, res: ServerResponse, sandbox: Sandbox): void {
  if (method === "List") {
    sendJson(res, 200, { processes: [] });
    return;
  }
  const selector = body.process as { pid?: number } | undefined;
  const target = selector?.pid === undefined ? undefined : sandbox.commands.get(selector.pid);
  if (!["SendSignal", "SendInput", "CloseStdin"].includes(method)) {
    sendJson(res, 404, { code: "unimplemented", message: `process.Process/${method} is not emulated by the local sandbox host` });
    return;
  }
  if (target === undefined) {
    sendJson(res, 404, { code: "not_found", message: `process with pid ${selector?.pid} not found` });
    return;
  }
  if (method === "SendSignal") {
    sandbox.request("signal", { target, signal: SIGNALS[String(body.signal)] ?? 9 });
  } else if (method === "SendInput") {
    const input = body.input as { stdin?: string; pty?: string } | undefined;
    sandbox.request("stdin", { target, data: input?.stdin ?? input?.pty ?? "" });
  } else {
    sandbox.request("close_stdin", { target });
  }
  sendJson(res, 200, {});
}
