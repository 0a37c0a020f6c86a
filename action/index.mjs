// Built by `npm run build:action` from action/src/ and client/: edit those, not this file.

// action/src/main.ts
import { randomUUID as randomUUID2 } from "node:crypto";
import { readFileSync } from "node:fs";
import { extname, resolve as resolve2 } from "node:path";

// client/errors.ts
var RunledgerError = class extends Error {
  constructor(code, message, status, requestId = null, details, retryAfter = null) {
    super(message);
    this.code = code;
    this.status = status;
    this.requestId = requestId;
    this.details = details;
    this.retryAfter = retryAfter;
  }
  code;
  status;
  requestId;
  details;
  retryAfter;
  name = "RunledgerError";
  /**
   * Nothing answers at that address (connection refused, no such host, a port fetch refuses): unlike a
   * connection that broke off or timed out, retrying soon will not help.
   */
  get unreachable() {
    const reason = this.details?.reason;
    return this.code === "network_error" && !(typeof reason === "string" && TRANSIENT_NETWORK.test(reason));
  }
  /** Worth retrying: the platform was busy or down, or the answer never arrived. */
  get retryable() {
    return this.code === "unavailable" || this.code === "concurrency_limit" || this.code === "network_error";
  }
};
var TRANSIENT_NETWORK = /^(ECONNRESET|EPIPE|ETIMEDOUT|ECONNABORTED|UND_ERR_SOCKET|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT|other side closed)$/;
async function errorFrom(res) {
  const text = await res.text();
  const requestId = res.headers.get("x-request-id");
  const retryAfterHeader = Number(res.headers.get("retry-after"));
  const retryAfter = Number.isFinite(retryAfterHeader) && retryAfterHeader > 0 ? retryAfterHeader : null;
  let envelope = null;
  try {
    envelope = JSON.parse(text);
  } catch {
  }
  const error = envelope?.error;
  if (error && typeof error.code === "string" && typeof error.message === "string") {
    const id = typeof error.request_id === "string" ? error.request_id : requestId;
    return new RunledgerError(error.code, error.message, res.status, id, error.details, retryAfter);
  }
  const excerpt = text.length > 200 ? `${text.slice(0, 200)}\u2026` : text;
  return new RunledgerError(
    "invalid_response",
    `HTTP ${res.status}: ${excerpt || "(empty body)"}`,
    res.status,
    requestId,
    void 0,
    retryAfter
  );
}
async function fetchOrThrow(url, init) {
  try {
    return await fetch(url, init);
  } catch (error) {
    const cause = error.cause;
    const reason = cause?.code ?? cause?.message ?? error.message;
    const origin = URL.canParse(url) ? new URL(url).origin : url;
    throw new RunledgerError("network_error", `could not reach ${origin}: ${reason}`, 0, null, { origin, reason });
  }
}

// client/signing.ts
var encoder = new TextEncoder();
async function hmacSha256(secret, message) {
  const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
}
async function sha256Hex(data) {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", data)));
}
function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
async function requestSigningString(timestamp, method, pathAndQuery, body) {
  return `${timestamp}
${method}
${pathAndQuery}
${await sha256Hex(body)}`;
}
async function signRequest(secret, timestamp, method, pathAndQuery, body) {
  const signed = await requestSigningString(timestamp, method, pathAndQuery, body);
  return toHex(await hmacSha256(encoder.encode(secret), encoder.encode(signed)));
}

// client/sse.ts
async function* readEventStream(body) {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = "";
  let id = null;
  let event = "message";
  let data = [];
  try {
    for (; ; ) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let newline = buffer.search(/\r\n|\r|\n/);
      while (newline !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
        if (line === "") {
          if (data.length > 0) yield { id, event, data: JSON.parse(data.join("\n")) };
          event = "message";
          data = [];
        } else if (!line.startsWith(":")) {
          const colon = line.indexOf(":");
          const field = colon === -1 ? line : line.slice(0, colon);
          const value2 = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "id") id = value2;
          else if (field === "event") event = value2;
          else if (field === "data") data.push(value2);
        }
        newline = buffer.search(/\r\n|\r|\n/);
      }
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => {
    });
  }
}

// client/types.ts
var FINAL_STATUSES = ["succeeded", "failed", "timed_out", "canceled", "error"];
function isFinalStatus(status) {
  return FINAL_STATUSES.includes(status);
}

// client/client.ts
var encoder2 = new TextEncoder();
function isFinal(execution) {
  return isFinalStatus(execution.status);
}
function queryString(query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== void 0) params.set(name, String(value));
  const text = params.toString();
  return text ? `?${text}` : "";
}
function costsQueryString(query) {
  return queryString({ from: query.from, to: query.to, group_by: query.groupBy, tag: query.tag });
}
function sleep(ms, signal) {
  return new Promise((resolve3) => {
    const stop = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", stop);
      resolve3();
    };
    const timer = setTimeout(stop, ms);
    signal?.addEventListener("abort", stop, { once: true });
  });
}
var RunledgerClient = class {
  constructor(options) {
    this.options = options;
  }
  options;
  lastMs = 0;
  /** Milliseconds since the epoch, never the same twice: identical requests must sign apart. */
  nextTimestamp() {
    this.lastMs = Math.max(Date.now(), this.lastMs + 1);
    return (this.lastMs / 1e3).toFixed(3);
  }
  get url() {
    return this.options.url;
  }
  async signedHeaders(method, pathAndQuery, body) {
    const timestamp = this.options.timestamp?.() ?? this.nextTimestamp();
    const signature = await signRequest(this.options.secret, timestamp, method, pathAndQuery, encoder2.encode(body));
    return {
      "x-runledger-key": this.options.keyId,
      "x-runledger-timestamp": timestamp,
      "x-runledger-signature": `v1=${signature}`
    };
  }
  /** A signed request; the raw response. A failure to connect throws a `RunledgerError` (`network_error`). */
  async send(method, pathAndQuery, json, extraHeaders = {}) {
    const body = json === void 0 ? "" : JSON.stringify(json);
    const headers = { ...await this.signedHeaders(method, pathAndQuery, body), ...extraHeaders };
    if (json !== void 0) headers["content-type"] = "application/json";
    const base = this.options.url.replace(/\/+$/, "");
    return fetchOrThrow(`${base}${pathAndQuery}`, { method, headers, body: json === void 0 ? void 0 : body });
  }
  /** A signed request without a body, which `signal` can abort. */
  async sendSigned(method, pathAndQuery, extraHeaders, signal) {
    const headers = { ...await this.signedHeaders(method, pathAndQuery, ""), ...extraHeaders };
    return fetchOrThrow(`${this.options.url.replace(/\/+$/, "")}${pathAndQuery}`, { method, headers, signal });
  }
  /** A signed request; status, headers and the parsed JSON body, whatever the status. */
  async request(method, pathAndQuery, json, extraHeaders = {}) {
    const res = await this.send(method, pathAndQuery, json, extraHeaders);
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  }
  async call(method, pathAndQuery, json, headers = {}) {
    const res = await this.send(method, pathAndQuery, json, headers);
    if (!res.ok) throw await errorFrom(res);
    return await res.json();
  }
  /** `POST /v1/executions`: `202` queued, or with `wait` the finished execution when it finished in time. */
  createExecution(body, options = {}) {
    const headers = options.idempotencyKey ? { "idempotency-key": options.idempotencyKey } : {};
    return this.call("POST", `/v1/executions${queryString({ wait: options.wait })}`, body, headers);
  }
  /** One execution; with `wait`, held by the server up to that many seconds (0–60) for it to finish. */
  getExecution(id, options = {}) {
    return this.call("GET", `/v1/executions/${encodeURIComponent(id)}${queryString({ wait: options.wait })}`);
  }
  /** One page, newest first; pass `next_cursor` back as `cursor` for the next. */
  listExecutions(query = {}) {
    return this.call("GET", `/v1/executions${queryString({ ...query })}`);
  }
  cancelExecution(id) {
    return this.call("POST", `/v1/executions/${encodeURIComponent(id)}/cancel`);
  }
  async listDeliveries(id) {
    return (await this.call("GET", `/v1/executions/${encodeURIComponent(id)}/deliveries`)).data;
  }
  redeliver(id) {
    return this.call("POST", `/v1/executions/${encodeURIComponent(id)}/redeliver`);
  }
  /** This key's events (execution webhooks, budget alerts), newest first, one page; pass `next_cursor` back as `cursor`. */
  listEvents(query = {}) {
    return this.call("GET", `/v1/events${queryString({ ...query })}`);
  }
  /** A signed link to this key's cost dashboard, working for `expiresIn` seconds (60 to 86400; 15 min by default). */
  dashboardLink(options = {}) {
    return this.call("POST", "/v1/dashboard-link", options.expiresIn === void 0 ? {} : { expires_in: options.expiresIn });
  }
  getBudget() {
    return this.call("GET", "/v1/budget");
  }
  getCosts(query = {}) {
    return this.call("GET", `/v1/costs${costsQueryString(query)}`);
  }
  /** The same rows as CSV, with a header line. */
  async getCostsCsv(query = {}) {
    const res = await this.send("GET", `/v1/costs${costsQueryString(query)}`, void 0, { accept: "text/csv" });
    if (!res.ok) throw await errorFrom(res);
    return res.text();
  }
  /** Polls until the execution reaches a final status. Transient failures (`unavailable`, no answer) are retried. */
  async waitForExecution(id, options = {}) {
    const deadline = options.timeoutMs === void 0 ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
    let failures = 0;
    for (; ; ) {
      if (options.signal?.aborted) throw new RunledgerError("aborted", `stopped waiting for ${id}`, 0);
      try {
        const execution = await this.getExecution(id, {
          wait: Math.min(60, Math.max(0, Math.floor((deadline - Date.now()) / 1e3))) || void 0
        });
        failures = 0;
        options.onUpdate?.(execution);
        if (isFinal(execution)) return execution;
      } catch (error) {
        if (!(error instanceof RunledgerError) || !error.retryable || ++failures > 10) throw error;
      }
      if (options.signal?.aborted) throw new RunledgerError("aborted", `stopped waiting for ${id}`, 0);
      if (Date.now() > deadline) throw new RunledgerError("wait_timeout", `${id} had not finished after ${options.timeoutMs} ms`, 0);
      await sleep(options.intervalMs ?? 500, options.signal);
    }
  }
  /**
   * A run's live events, oldest first, ending with `end` (the final Execution). A dropped stream
   * is picked up again after the last event seen (`Last-Event-ID`).
   */
  async *events(id, options = {}) {
    let lastEventId = options.lastEventId;
    for (let reconnects = 0; ; reconnects++) {
      const path = `/v1/executions/${encodeURIComponent(id)}/events`;
      const res = await this.sendSigned(
        "GET",
        path,
        lastEventId === void 0 ? {} : { "last-event-id": String(lastEventId) },
        options.signal
      );
      if (!res.ok || !res.body) throw await errorFrom(res);
      for await (const event of readEventStream(res.body)) {
        lastEventId = event.id === null ? lastEventId : Number(event.id);
        yield { id: lastEventId ?? 0, event: event.event, data: event.data };
        if (event.event === "end") return;
      }
      if (options.signal?.aborted) throw new RunledgerError("aborted", `stopped following ${id}`, 0);
      if (reconnects >= 10) throw new RunledgerError("network_error", `the event stream of ${id} kept breaking off`, 0);
    }
  }
  /**
   * Submits and follows the run's live events to its end: output is handed to `onOutput` as it is
   * printed. Where no event stream can be had, it waits by polling instead.
   */
  async run(body, options = {}) {
    const submitted = await this.createExecution(body, { wait: options.wait, idempotencyKey: options.idempotencyKey });
    options.onUpdate?.(submitted);
    if (isFinal(submitted)) {
      if (submitted.result) this.replayOutput(submitted, options);
      return submitted;
    }
    try {
      for await (const event of this.events(submitted.id, { signal: options.signal })) {
        if (event.event === "stdout" || event.event === "stderr") options.onOutput?.(event.event, event.data.text);
        if (event.event === "end") {
          options.onUpdate?.(event.data);
          return event.data;
        }
      }
    } catch (error) {
      if (error instanceof RunledgerError && (error.code === "aborted" || !error.retryable)) throw error;
    }
    const finished = await this.waitForExecution(submitted.id, options);
    if (finished.result) this.replayOutput(finished, options);
    return finished;
  }
  replayOutput(execution, options) {
    if (execution.result?.stdout) options.onOutput?.("stdout", execution.result.stdout);
    if (execution.result?.stderr) options.onOutput?.("stderr", execution.result.stderr);
  }
};

// client/output-files.ts
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve } from "node:path";
function saveOutputFiles(files, folder) {
  const root = resolve(folder);
  const written = [];
  for (const file of files) {
    const target = resolve(root, file.path);
    const inside = relative(root, target);
    if (inside === "" || inside.startsWith("..") || isAbsolute(inside)) throw new Error(`refusing to write ${file.path} outside ${root}`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.encoding === "base64" ? Buffer.from(file.content, "base64") : file.content);
    written.push(target);
  }
  return written;
}

// action/src/inputs.ts
var ActionError = class extends Error {
};
function input(name, fallback = "") {
  const value = process.env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`];
  return value === void 0 || value.trim() === "" ? fallback : value.trim();
}
function required(name) {
  const value = input(name);
  if (!value) throw new ActionError(`the input '${name}' is required`);
  return value;
}
function booleanInput(name, fallback) {
  const value = input(name).toLowerCase();
  if (!value) return fallback;
  if (["true", "yes", "1", "on"].includes(value)) return true;
  if (["false", "no", "0", "off"].includes(value)) return false;
  throw new ActionError(`the input '${name}' must be true or false, not '${value}'`);
}
function integerInput(name) {
  const value = input(name);
  if (!value) return void 0;
  if (!/^\d+$/.test(value)) throw new ActionError(`the input '${name}' must be a whole number, not '${value}'`);
  return Number(value);
}

// action/src/workflow.ts
import { randomUUID } from "node:crypto";
import { appendFileSync } from "node:fs";
var escapeData = (text) => text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
function setOutputs(outputs) {
  const file = process.env.GITHUB_OUTPUT;
  if (!file) {
    console.log("GITHUB_OUTPUT is not set: outputs are not recorded");
    return;
  }
  let text = "";
  for (const [name, value] of Object.entries(outputs)) {
    let delimiter = `ghadelimiter_${randomUUID()}`;
    while (value.includes(delimiter)) delimiter = `ghadelimiter_${randomUUID()}`;
    text += `${name}<<${delimiter}
${value}
${delimiter}
`;
  }
  appendFileSync(file, text);
}
var UntrustedLog = class {
  token = null;
  begin(title) {
    if (this.token) return;
    this.token = randomUUID();
    console.log(`::group::${title}`);
    console.log(`::stop-commands::${this.token}`);
  }
  write(stream, text) {
    (stream === "stdout" ? process.stdout : process.stderr).write(text);
  }
  end() {
    if (!this.token) return;
    console.log("");
    console.log(`::${this.token}::`);
    console.log("::endgroup::");
    this.token = null;
  }
};
function appendSummary(markdown) {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (file) appendFileSync(file, markdown);
}
function fenced(text) {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}text
${text}${text.endsWith("\n") ? "" : "\n"}${fence}
`;
}

// action/src/main.ts
var BY_EXTENSION = {
  ".py": "python",
  ".js": "javascript",
  ".mjs": "javascript",
  ".ts": "typescript",
  ".sh": "bash",
  ".r": "r",
  ".java": "java"
};
var SUMMARY_TAIL_LINES = 20;
function executionBody() {
  const file = input("file");
  const inline = input("code");
  if (!file === !inline) throw new ActionError("give exactly one of the inputs 'code' and 'file'");
  let code = inline;
  if (file) {
    try {
      code = readFileSync(file, "utf8");
    } catch (error) {
      throw new ActionError(`cannot read the file '${file}': ${error.code}`);
    }
  }
  const language = input("language", BY_EXTENSION[extname(file).toLowerCase()] ?? "python");
  const body = { code, language };
  const timeout = integerInput("timeout-ms");
  if (timeout !== void 0) body.timeout_ms = timeout;
  const template = input("template");
  if (template) body.template = template;
  const env = {};
  for (const line of input("env").split(/\r?\n/)) {
    if (!line.trim() || line.trim().startsWith("#")) continue;
    const at = line.indexOf("=");
    if (at <= 0) throw new ActionError(`each line of 'env' is NAME=VALUE; this one is not: '${line.trim()}'`);
    env[line.slice(0, at).trim()] = line.slice(at + 1);
  }
  if (Object.keys(env).length) body.env = env;
  const outputs = input("outputs").split(/\r?\n/).map((line) => line.trim()).filter((line) => line && !line.startsWith("#"));
  if (outputs.length) body.outputs = outputs;
  if (input("internet")) body.internet = booleanInput("internet", true);
  return body;
}
async function submit(client, body, idempotencyKey) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.createExecution(body, { idempotencyKey });
    } catch (error) {
      const transient = error instanceof RunledgerError && error.retryable;
      if (!transient || attempt >= 4) throw error;
      console.log(`${error.message}; retrying`);
      await new Promise((resolve3) => setTimeout(resolve3, 2 ** attempt * 1e3));
    }
  }
}
async function follow(client, submitted, limitMs) {
  const log = new UntrustedLog();
  const timeout = AbortSignal.timeout(limitMs);
  try {
    for await (const event of client.events(submitted.id, { signal: timeout })) {
      if (event.event === "stdout" || event.event === "stderr") {
        log.begin("output");
        log.write(event.event, event.data.text);
      }
      if (event.event === "end") return event.data;
    }
  } catch (error) {
    if (timeout.aborted) throw new ActionError(`${submitted.id} did not finish within ${limitMs / 1e3} s`);
    if (!(error instanceof RunledgerError && error.retryable)) throw error;
  } finally {
    log.end();
  }
  return client.waitForExecution(submitted.id, { timeoutMs: limitMs, signal: timeout });
}
function summarize(execution) {
  const result = execution.result;
  const rows = [
    ["status", `\`${execution.status}\``],
    ["duration", execution.duration_ms === null ? "\u2013" : `${execution.duration_ms} ms`],
    ["cost", execution.cost_usd === null ? "\u2013" : `$${execution.cost_usd} (sandbox ${execution.sandbox_ms} ms)`],
    ["exit code", result?.exit_code == null ? "\u2013" : String(result.exit_code)]
  ];
  let markdown = `### runledger \`${execution.id}\`

| | |
|---|---|
${rows.map(([name, value]) => `| ${name} | ${value} |`).join("\n")}

`;
  const tail = (result?.stdout ?? "").split("\n").slice(-SUMMARY_TAIL_LINES - 1).join("\n");
  if (tail.trim()) markdown += `The output's last lines:

${fenced(tail)}
`;
  if (result?.error) markdown += `Error:

${fenced(result.error.traceback || `${result.error.name}: ${result.error.value}`)}
`;
  appendSummary(markdown);
}
async function main() {
  const secret = required("secret");
  console.log(`::add-mask::${secret}`);
  const client = new RunledgerClient({ url: required("url").replace(/\/+$/, ""), keyId: required("key"), secret });
  const body = executionBody();
  const wait = booleanInput("wait", true);
  const failOnError = booleanInput("fail-on-error", true);
  const idempotencyKey = input("idempotency-key") || `gha-${randomUUID2()}`;
  const submitted = await submit(client, body, idempotencyKey);
  console.log(`runledger execution ${submitted.id}: ${submitted.status}`);
  let execution = submitted;
  if (wait && !isFinal(submitted)) {
    const limitMs = (integerInput("max-wait-seconds") ?? Math.ceil(submitted.timeout_ms / 1e3) + 300) * 1e3;
    execution = await follow(client, submitted, limitMs);
    console.log(`runledger execution ${execution.id}: ${execution.status}`);
  }
  const result = execution.result;
  const files = result?.files ?? [];
  const filesDir = files.length ? resolve2(process.env.GITHUB_WORKSPACE ?? ".", input("files-dir", "runledger-files")) : "";
  if (filesDir) {
    const written = saveOutputFiles(files, filesDir);
    console.log(`wrote ${written.length} output file(s) under ${filesDir}${result?.truncated ? " (some did not fit)" : ""}`);
  }
  setOutputs({
    "files-dir": filesDir,
    "execution-id": execution.id,
    status: execution.status,
    "exit-code": result?.exit_code == null ? "" : String(result.exit_code),
    stdout: result?.stdout ?? "",
    stderr: result?.stderr ?? "",
    "cost-usd": execution.cost_usd ?? ""
  });
  if (!wait) return;
  summarize(execution);
  if (result?.error) {
    const log = new UntrustedLog();
    log.begin("error");
    log.write("stdout", result.error.traceback || `${result.error.name}: ${result.error.value}`);
    log.end();
  }
  if (execution.cost_usd) console.log(`cost: $${execution.cost_usd} (sandbox ${execution.sandbox_ms} ms)`);
  if (execution.status !== "succeeded") {
    const why = result?.error ? `: ${result.error.name}: ${result.error.value}` : "";
    const message = `runledger execution ${execution.id} ended ${execution.status}${why}`;
    if (failOnError) {
      console.log(`::error title=runledger::${escapeData(message)}`);
      process.exitCode = 1;
    } else {
      console.log(`::warning title=runledger::${escapeData(message)}`);
    }
  }
}
main().catch((error) => {
  const message = error instanceof RunledgerError ? `${error.code}: ${error.message}${error.requestId ? ` (request id ${error.requestId})` : ""}` : error instanceof ActionError ? error.message : error?.stack ?? String(error);
  console.log(`::error title=runledger::${escapeData(message)}`);
  process.exitCode = 1;
});
