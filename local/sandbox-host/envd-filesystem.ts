import type { IncomingMessage, ServerResponse } from "node:http";
import { ask, END_STREAM, firstMessage, frame, sendConnectError } from "./connect-rpc.js";
import { readBody, sendJson } from "./http.js";
import type { Sandbox } from "./sandbox.js";

/** The supervisor's op for each unary call of envd's filesystem service, and the fields it takes. */
const UNARY: Record<string, { op: string; fields: string[] }> = {
  Stat: { op: "fs_stat", fields: ["path"] },
  ListDir: { op: "fs_list", fields: ["path", "depth"] },
  MakeDir: { op: "fs_mkdir", fields: ["path"] },
  Remove: { op: "fs_remove", fields: ["path"] },
  Move: { op: "fs_move", fields: ["source", "destination"] },
};

/** envd's `filesystem.Filesystem` Connect service: stat, list, make, remove, move and watch. */
export async function handleFilesystem(method: string, req: IncomingMessage, res: ServerResponse, sandbox: Sandbox): Promise<void> {
  if (method === "WatchDir") return watchDir(req, res, sandbox);
  const call = UNARY[method];
  if (!call) return sendConnectError(res, "unimplemented", `filesystem.Filesystem/${method} is not emulated by the local sandbox host`);
  const body = JSON.parse((await readBody(req)).toString() || "{}") as Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  for (const field of call.fields) {
    if (body[field] !== undefined) fields[field] = body[field];
  }
  const event = await ask(sandbox, call.op, fields);
  if (event.type === "fs_ok") return sendJson(res, 200, event.reply);
  if (event.type === "fs_error") return sendConnectError(res, String(event.code), String(event.message));
  return sendConnectError(res, "unavailable", "the sandbox was killed");
}

/** A stream of a directory's changes until the client goes away or the directory does. */
async function watchDir(req: IncomingMessage, res: ServerResponse, sandbox: Sandbox): Promise<void> {
  const start = firstMessage<{ path?: string; recursive?: boolean; includeEntry?: boolean }>(await readBody(req));
  const keepaliveS = Number(req.headers["keepalive-ping-interval"]) || 0;
  res.writeHead(200, { "content-type": "application/connect+json" });
  res.flushHeaders();
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const end = (error?: { code: string; message: string }) => {
    if (ended) return;
    ended = true;
    clearInterval(timer);
    sandbox.stopListening(requestId);
    res.end(frame(error ? { error } : {}, END_STREAM));
  };
  const requestId = sandbox.request(
    "fs_watch",
    { path: start.path ?? "", recursive: start.recursive === true, includeEntry: start.includeEntry === true },
    (event) => {
      if (event.type === "fs_watch_started") res.write(frame({ start: {} }));
      else if (event.type === "fs_event") res.write(frame({ filesystem: event.event }));
      else if (event.type === "fs_error") end({ code: String(event.code), message: String(event.message) });
      else if (event.type === "fs_watch_end") end();
      else if (event.type === "sandbox_gone") end({ code: "unavailable", message: "the sandbox was killed" });
    },
  );
  if (keepaliveS > 0) timer = setInterval(() => res.write(frame({ keepalive: {} })), keepaliveS * 1000);
  res.on("close", () => {
    clearInterval(timer);
    if (!ended) sandbox.request("fs_watch_stop", { target: requestId });
    ended = true;
    sandbox.stopListening(requestId);
  });
}
