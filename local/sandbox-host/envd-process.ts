import type { IncomingMessage, ServerResponse } from "node:http";
import { END_STREAM, firstMessage, frame, sendConnectError } from "./connect-rpc.js";
import { flowControlledWriter } from "./flow.js";
import { HttpError, readBody, sendJson } from "./http.js";
import type { AgentEvent, Sandbox } from "./sandbox.js";

const SIGNALS: Record<string, number> = { SIGNAL_SIGKILL: 9, SIGNAL_SIGTERM: 15 };

interface ProcessConfig {
  cmd: string;
  args?: string[];
  envs?: Record<string, string>;
  cwd?: string;
}

interface PtySize {
  cols?: number;
  rows?: number;
}

/** A stream of a command's events to one client: the one that started it or one that connected. */
interface Subscriber {
  send(message: unknown): void;
  end(error?: { code: string; message: string }): void;
  /** Drops the connection, as a sandbox that dies takes envd's connections with it. */
  abort(): void;
}

/** A command started through envd, while it runs: what `commands.list` reports and `connect` reaches. */
export interface RunningCommand {
  requestId: string;
  pid: number;
  config: ProcessConfig;
  tag?: string;
  subscribers: Set<Subscriber>;
}

/** envd's `process.Process` Connect service: start, connect, list, signal, input and PTY resize. */
export async function handleProcess(method: string, req: IncomingMessage, res: ServerResponse, sandbox: Sandbox): Promise<void> {
  if (method === "Start") return startProcess(req, res, sandbox);
  if (method === "Connect") return connectProcess(req, res, sandbox);
  const body = JSON.parse((await readBody(req)).toString() || "{}") as Record<string, unknown>;
  if (method === "List") {
    const processes = [...sandbox.commands.values()].map((c) => ({ config: c.config, pid: c.pid, ...(c.tag ? { tag: c.tag } : {}) }));
    return sendJson(res, 200, { processes });
  }
  if (!["SendSignal", "SendInput", "CloseStdin", "Update"].includes(method)) {
    return sendConnectError(res, "unimplemented", `process.Process/${method} is not emulated by the local sandbox host`);
  }
  const selector = body.process as { pid?: number; tag?: string } | undefined;
  const command = find(sandbox, selector);
  if (!command) return sendConnectError(res, "not_found", `process with pid ${selector?.pid ?? selector?.tag} not found`);
  const target = command.requestId;
  if (method === "SendSignal") {
    sandbox.request("signal", { target, signal: SIGNALS[String(body.signal)] ?? 9 });
  } else if (method === "SendInput") {
    const input = body.input as { stdin?: string; pty?: string } | undefined;
    sandbox.request("stdin", { target, data: input?.stdin ?? input?.pty ?? "" });
  } else if (method === "Update") {
    const size = (body.pty as { size?: PtySize } | undefined)?.size;
    if (size) sandbox.request("pty_resize", { target, cols: size.cols ?? 80, rows: size.rows ?? 24 });
  } else {
    sandbox.request("close_stdin", { target });
  }
  sendJson(res, 200, {});
}

function find(sandbox: Sandbox, selector: { pid?: number; tag?: string } | undefined): RunningCommand | undefined {
  if (selector?.pid !== undefined) return sandbox.commands.get(selector.pid);
  if (selector?.tag !== undefined) return [...sandbox.commands.values()].find((c) => c.tag === selector.tag);
  return undefined;
}

/** The user a request acts as: envd takes it from HTTP basic auth (`user:`), else the sandbox's user. */
function requestUser(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header?.startsWith("Basic ")) return undefined;
  const user = Buffer.from(header.slice(6), "base64").toString().split(":")[0];
  return user || undefined;
}

/** Opens a Connect response stream whose messages go to `subscriber`; keepalives and the deadline included. */
function openStream(
  req: IncomingMessage,
  res: ServerResponse,
  sandbox: Sandbox,
  onDeadline: () => void,
): Subscriber & { closed: Promise<void> } {
  res.writeHead(200, { "content-type": "application/connect+json" });
  res.flushHeaders();
  const write = flowControlledWriter(res, sandbox);
  const timers: NodeJS.Timeout[] = [];
  let ended = false;
  const subscriber = {
    send: (message: unknown) => {
      if (!ended) write(frame(message));
    },
    end: (error?: { code: string; message: string }) => {
      if (ended) return;
      ended = true;
      for (const timer of timers) clearTimeout(timer);
      res.end(frame(error ? { error } : {}, END_STREAM));
    },
    abort: () => {
      ended = true;
      for (const timer of timers) clearTimeout(timer);
      res.destroy();
    },
    closed: new Promise<void>((resolve) =>
      res.on("close", () => {
        ended = true;
        for (const timer of timers) clearTimeout(timer);
        resolve();
      }),
    ),
  };
  const keepaliveS = Number(req.headers["keepalive-ping-interval"]) || 0;
  if (keepaliveS > 0) timers.push(setInterval(() => subscriber.send({ event: { keepalive: {} } }), keepaliveS * 1000));
  const timeoutMs = Number(req.headers["connect-timeout-ms"]) || 0;
  if (timeoutMs > 0) {
    timers.push(
      setTimeout(() => {
        onDeadline();
        subscriber.end({ code: "deadline_exceeded", message: `the command ran past its ${timeoutMs} ms deadline` });
      }, timeoutMs),
    );
  }
  return subscriber;
}

async function startProcess(req: IncomingMessage, res: ServerResponse, sandbox: Sandbox): Promise<void> {
  const start = firstMessage<{ process?: ProcessConfig; stdin?: boolean; pty?: { size?: PtySize }; tag?: string }>(await readBody(req));
  const config = start.process;
  if (!config?.cmd) throw new HttpError(400, "process.cmd is required");
  let command: RunningCommand | undefined;
  // A deadline on the starting call kills the command, as envd's does.
  const stream = openStream(req, res, sandbox, () => sandbox.request("signal", { target: requestId, signal: 9 }));
  const subscribers = new Set<Subscriber>([stream]);
  const finish = (error?: { code: string; message: string }) => {
    sandbox.stopListening(requestId);
    if (command) sandbox.commands.delete(command.pid);
    for (const subscriber of subscribers) subscriber.end(error);
    subscribers.clear();
  };
  const requestId = sandbox.request(
    "spawn",
    {
      argv: [config.cmd, ...(config.args ?? [])],
      env: config.envs ?? {},
      cwd: config.cwd,
      stdin: start.stdin === true,
      user: requestUser(req),
      pty: start.pty ? { cols: start.pty.size?.cols ?? 80, rows: start.pty.size?.rows ?? 24 } : undefined,
    },
    (event: AgentEvent) => {
      switch (event.type) {
        case "start": {
          const pid = event.pid as number;
          command = { requestId, pid, config, tag: start.tag, subscribers };
          sandbox.commands.set(pid, command);
          for (const subscriber of subscribers) subscriber.send({ event: { start: { pid } } });
          break;
        }
        case "stdout":
        case "stderr":
        case "pty":
          for (const subscriber of subscribers) subscriber.send({ event: { data: { [event.type]: event.data } } });
          break;
        case "end":
          for (const subscriber of subscribers) {
            subscriber.send({ event: { end: { exitCode: event.exitCode, exited: true, status: event.status } } });
          }
          finish();
          break;
        case "spawn_error":
          finish({ code: "resource_exhausted", message: String(event.message) });
          break;
        case "sandbox_gone":
          for (const subscriber of subscribers) subscriber.abort();
          finish();
          break;
      }
    },
  );
  // A caller that goes away leaves its command running, as envd does: a later connect reaches it.
  void stream.closed.then(() => subscribers.delete(stream));
}

/** Attaches to a running command: its start, then its output and end from now on. */
async function connectProcess(req: IncomingMessage, res: ServerResponse, sandbox: Sandbox): Promise<void> {
  const message = firstMessage<{ process?: { pid?: number; tag?: string } }>(await readBody(req));
  const command = find(sandbox, message.process);
  if (!command) {
    res.writeHead(200, { "content-type": "application/connect+json" });
    const what = message.process?.pid ?? message.process?.tag;
    res.end(frame({ error: { code: "not_found", message: `process with pid ${what} not found` } }, END_STREAM));
    return;
  }
  const stream = openStream(req, res, sandbox, () => {});
  command.subscribers.add(stream);
  stream.send({ event: { start: { pid: command.pid } } });
  void stream.closed.then(() => command.subscribers.delete(stream));
}
