import type { IncomingMessage, ServerResponse } from "node:http";
import { gunzipSync } from "node:zlib";
import { ask } from "./connect-rpc.js";
import { handleFilesystem } from "./envd-filesystem.js";
import { handleProcess } from "./envd-process.js";
import { HttpError, MAX_BODY_BYTES, readBody, sendEmpty, sendJson } from "./http.js";
import type { AgentEvent, Sandbox } from "./sandbox.js";

/** Headers that carry a written file's metadata, one per key (envd 0.6.2 and later). */
const METADATA_HEADER = "x-metadata-";

/** envd, the daemon in every E2B sandbox (port 49983): health, files and processes. */
export async function handleEnvd(req: IncomingMessage, res: ServerResponse, url: URL, sandbox: Sandbox): Promise<void> {
  const method = req.method ?? "GET";
  if (url.pathname === "/health" && method === "GET") return sendEmpty(res, 204);
  if (url.pathname === "/files") {
    const path = url.searchParams.get("path");
    const user = url.searchParams.get("username") ?? undefined;
    if (method === "GET") return readFile(res, sandbox, requiredPath(path), user);
    if (method === "POST") return writeFiles(req, res, sandbox, path, user);
  }
  if (method === "POST" && url.pathname.startsWith("/filesystem.Filesystem/")) {
    return handleFilesystem(url.pathname.slice("/filesystem.Filesystem/".length), req, res, sandbox);
  }
  if (method === "POST" && url.pathname.startsWith("/process.Process/")) {
    return handleProcess(url.pathname.slice("/process.Process/".length), req, res, sandbox);
  }
  return sendJson(res, 404, { code: "unimplemented", message: `${method} ${url.pathname} is not emulated by the local sandbox host` });
}

function requiredPath(path: string | null): string {
  if (!path) throw new HttpError(400, "path is required");
  return path;
}

function fileFailure(event: AgentEvent): HttpError {
  if (event.type === "sandbox_gone") return new HttpError(502, "The sandbox was not found");
  const status = event.code === "not_found" ? 404 : event.code === "permission" ? 403 : 400;
  return new HttpError(status, String(event.message));
}

async function readFile(res: ServerResponse, sandbox: Sandbox, path: string, user: string | undefined): Promise<void> {
  const event = await ask(sandbox, "read_file", { path, user });
  if (event.type !== "file_data") throw fileFailure(event);
  const data = Buffer.from(String(event.data), "base64");
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": data.length });
  res.end(data);
}

async function writeFiles(
  req: IncomingMessage,
  res: ServerResponse,
  sandbox: Sandbox,
  path: string | null,
  user: string | undefined,
): Promise<void> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(METADATA_HEADER) && typeof value === "string") metadata[name.slice(METADATA_HEADER.length)] = value;
  }
  const body = await readBody(req);
  const type = req.headers["content-type"] ?? "";
  const uploads: { path: string; data: Buffer }[] = [];
  if (type.startsWith("multipart/form-data")) {
    const form = await new Request("http://local/", { method: "POST", headers: { "content-type": type }, body }).formData();
    for (const part of form.getAll("file")) {
      // A plain form field (no file name) is the content of the file at `path`, as envd takes it.
      if (typeof part === "string") {
        if (path) uploads.push({ path, data: Buffer.from(part) });
        continue;
      }
      uploads.push({ path: path ?? part.name, data: Buffer.from(await part.arrayBuffer()) });
    }
  } else {
    const raw = req.headers["content-encoding"] === "gzip" ? gunzipSync(body, { maxOutputLength: MAX_BODY_BYTES }) : body;
    uploads.push({ path: requiredPath(path), data: raw });
  }
  if (uploads.length === 0) throw new HttpError(400, "no file in the request");
  const written = [];
  for (const upload of uploads) {
    const event = await ask(sandbox, "write_file", { path: upload.path, data: upload.data.toString("base64"), user, metadata });
    if (event.type !== "file_written") throw fileFailure(event);
    written.push({ path: event.path, name: event.name, type: "file", ...(event.metadata ? { metadata: event.metadata } : {}) });
  }
  sendJson(res, 200, written);
}
