import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { transformSync } from "esbuild";
import type { Faults } from "./faults.js";
import { flowControlledWriter } from "./flow.js";
import { HttpError, readJson, sendEmpty, sendJson, stringRecord } from "./http.js";
import type { AgentEvent, Sandbox } from "./sandbox.js";

const LANGUAGE_ALIASES: Record<string, string> = {
  python: "python",
  python3: "python",
  javascript: "javascript",
  js: "javascript",
  typescript: "typescript",
  ts: "typescript",
  bash: "bash",
  sh: "bash",
  shell: "bash",
  r: "r",
  java: "java",
};
const RUNNABLE = new Set(["python", "javascript", "typescript", "bash"]);

export interface InterpreterOptions {
  faults: Faults;
  keepaliveMs: number;
}

/** The code interpreter's HTTP API (port 49999): `/execute` and `/contexts`. */
export async function handleInterpreter(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  sandbox: Sandbox,
  options: InterpreterOptions,
): Promise<void> {
  const method = req.method ?? "GET";
  const [first, id, action] = url.pathname.split("/").filter(Boolean);
  if (first === "health" && method === "GET") return sendJson(res, 200, { status: "ok" });
  if (first === "execute" && method === "POST") return execute(req, res, sandbox, options);
  if (first === "contexts") {
    if (id === undefined && method === "POST") return createContext(req, res, sandbox);
    if (id === undefined && method === "GET") return sendJson(res, 200, [...sandbox.codeContexts.values()]);
    const context = id === undefined ? undefined : sandbox.codeContexts.get(id);
    if (!context) throw new HttpError(404, `context ${id} not found`);
    if (action === undefined && method === "DELETE") {
      sandbox.request("context_remove", { ctx: context.id });
      sandbox.removeContext(context.id);
      return sendEmpty(res, 204);
    }
    if (action === "restart" && method === "POST") {
      sandbox.request("context_remove", { ctx: context.id });
      sandbox.request("context", { ctx: context.id, lang: runtimeLanguage(context.language), cwd: context.cwd });
      return sendEmpty(res, 204);
    }
  }
  throw new HttpError(404, `no route for ${method} ${url.pathname}`);
}

async function createContext(req: IncomingMessage, res: ServerResponse, sandbox: Sandbox): Promise<void> {
  const body = await readJson(req);
  const language = normalizeLanguage(body.language ?? "python");
  if (!RUNNABLE.has(language)) throw new HttpError(400, unsupported(language));
  const cwd = typeof body.cwd === "string" && body.cwd !== "" ? body.cwd : sandbox.home;
  const context = { id: randomUUID(), language, cwd };
  sandbox.codeContexts.set(context.id, context);
  sandbox.request("context", { ctx: context.id, lang: runtimeLanguage(language), cwd });
  sendJson(res, 200, context);
}

async function execute(req: IncomingMessage, res: ServerResponse, sandbox: Sandbox, options: InterpreterOptions): Promise<void> {
  const body = await readJson(req);
  if (typeof body.code !== "string") throw new HttpError(400, "code must be a string");
  const env = stringRecord(body.env_vars, "env_vars");
  let ctx: string;
  let language: string;
  if (typeof body.context_id === "string" && body.context_id !== "") {
    const context = sandbox.codeContexts.get(body.context_id);
    if (!context) throw new HttpError(404, `context ${body.context_id} not found`);
    ctx = context.id;
    language = context.language;
  } else {
    language = normalizeLanguage(body.language ?? "python");
    ctx = RUNNABLE.has(language) ? sandbox.defaultContext(language).id : `default-${language}`;
  }

  res.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-store" });
  res.flushHeaders();
  const send = flowControlledWriter(res, sandbox);
  const write = (event: Record<string, unknown>) => send(`${JSON.stringify(event)}\n`);
  const finish = () => {
    write({ type: "end_of_execution" });
    res.end();
  };

  const code = prepareCode(language, body.code);
  if ("error" in code) {
    write({ type: "error", ...code.error });
    return finish();
  }

  const keepalive = setInterval(() => write({ type: "keepalive" }), options.keepaliveMs);
  const stop = () => clearInterval(keepalive);
  res.on("close", stop);
  if (options.faults.takeStall()) return;

  let ended = false;
  const requestId = sandbox.request("exec", { ctx, lang: runtimeLanguage(language), code: code.source, env }, (event: AgentEvent) => {
    switch (event.type) {
      case "stdout":
      case "stderr":
        write({ type: event.type, text: event.text, timestamp: new Date().toISOString() });
        break;
      case "result": {
        const { id: _id, ...rest } = event;
        write(typeof rest.text === "string" ? { ...rest, text: unquoted(rest.text) } : rest);
        break;
      }
      case "error":
      case "number_of_executions": {
        const { id: _id, ...rest } = event;
        write(rest);
        break;
      }
      case "end":
        ended = true;
        stop();
        sandbox.stopListening(requestId);
        finish();
        break;
      case "sandbox_gone":
        // The sandbox died under the code: the connection breaks, as E2B's does.
        ended = true;
        stop();
        res.destroy();
        break;
    }
  });
  res.on("close", () => {
    sandbox.stopListening(requestId);
    // The client went away (its timeout, say): as E2B does, interrupt the code so that the
    // context's next run starts at once. A run still waiting its turn is dropped.
    if (!ended) sandbox.request("interrupt", { ctx, target: requestId });
  });
  const kill = options.faults.takeKillDuringExecution();
  if (kill) setTimeout(() => void sandbox.kill(), kill.afterMs);
}

function prepareCode(language: string, source: string): { source: string } | { error: { name: string; value: string; traceback: string } } {
  if (!RUNNABLE.has(language)) return { error: { name: "UnsupportedLanguage", value: unsupported(language), traceback: "" } };
  if (language !== "typescript") return { source };
  try {
    return { source: transformSync(source, { loader: "ts", target: "node20" }).code };
  } catch (error) {
    return { error: { name: "SyntaxError", value: (error as Error).message, traceback: "" } };
  }
}

/**
 * A result's plain text as E2B's code interpreter returns it: one pair of surrounding quotes is
 * dropped, whatever the language, so a string result reads `abc` where the kernel showed `'abc'`.
 */
export function unquoted(text: string): string {
  const quoted = (text.startsWith("'") && text.endsWith("'")) || (text.startsWith('"') && text.endsWith('"'));
  return quoted ? text.slice(1, -1) : text;
}

function normalizeLanguage(value: unknown): string {
  if (typeof value !== "string") throw new HttpError(400, "language must be a string");
  return LANGUAGE_ALIASES[value.toLowerCase()] ?? value;
}

/** TypeScript runs in the JavaScript kernel once its types are stripped. */
function runtimeLanguage(language: string): string {
  return language === "typescript" ? "javascript" : language;
}

function unsupported(language: string): string {
  return `the local sandbox host does not run ${language}; it runs python, javascript, typescript and bash`;
}
