// @ts-check
// The runledger GitHub Action (action.yml): runs code through runledger's API and sets the step's outputs.
// One file with no dependencies, run by the runner's Node 20 as it is: node:crypto signs, fetch sends.
import { createHash, createHmac, randomUUID } from "node:crypto";
import { appendFileSync, readFileSync } from "node:fs";
import { extname } from "node:path";

const FINAL = ["succeeded", "failed", "timed_out", "canceled", "error"];
const BY_EXTENSION = {
  ".py": "python",
  ".js": "javascript",
  ".mjs": "javascript",
  ".ts": "typescript",
  ".sh": "bash",
  ".r": "r",
  ".java": "java",
};

class ActionError extends Error {}

/**
 * An input as the runner passes it: `INPUT_` + the name in upper case, spaces as underscores, hyphens kept.
 * @param {string} name
 * @param {string} [fallback]
 */
function input(name, fallback = "") {
  const value = process.env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`];
  return value === undefined || value.trim() === "" ? fallback : value.trim();
}

/** @param {string} name */
function required(name) {
  const value = input(name);
  if (!value) throw new ActionError(`the input '${name}' is required`);
  return value;
}

/**
 * @param {string} name
 * @param {boolean} fallback
 */
function booleanInput(name, fallback) {
  const value = input(name).toLowerCase();
  if (!value) return fallback;
  if (["true", "yes", "1", "on"].includes(value)) return true;
  if (["false", "no", "0", "off"].includes(value)) return false;
  throw new ActionError(`the input '${name}' must be true or false, not '${value}'`);
}

/**
 * @param {string} name
 * @returns {number | undefined}
 */
function integerInput(name) {
  const value = input(name);
  if (!value) return undefined;
  if (!/^\d+$/.test(value)) throw new ActionError(`the input '${name}' must be a whole number, not '${value}'`);
  return Number(value);
}

/** A workflow command's data, escaped as the runner expects. @param {string} text */
const escapeData = (text) => text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");

/**
 * Sets outputs through the file the runner names, each as `name<<DELIMITER` … `DELIMITER`.
 * @param {Record<string, string>} outputs
 */
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
    text += `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
  }
  appendFileSync(file, text);
}

/**
 * Prints text the sandboxed code wrote, in a collapsed group, with workflow commands switched off so that the
 * code's output cannot act as one.
 * @param {string} title
 * @param {string} text
 */
function printUntrusted(title, text) {
  if (!text) return;
  const token = randomUUID();
  console.log(`::group::${title}`);
  console.log(`::stop-commands::${token}`);
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  console.log(`::${token}::`);
  console.log("::endgroup::");
}

/**
 * Signs and sends one request (the README's "Calling it"); the parsed answer, or an ActionError with the server's code.
 * @param {{url: string, key: string, secret: string}} api
 * @param {string} method
 * @param {string} path
 * @param {unknown} [payload]
 * @param {Record<string, string>} [extraHeaders]
 */
async function call(api, method, path, payload, extraHeaders = {}) {
  const body = payload === undefined ? "" : JSON.stringify(payload);
  lastMs = Math.max(Date.now(), lastMs + 1);
  const timestamp = (lastMs / 1000).toFixed(3);
  const hash = createHash("sha256").update(body).digest("hex");
  const signature = createHmac("sha256", api.secret).update(`${timestamp}\n${method}\n${path}\n${hash}`).digest("hex");
  /** @type {Record<string, string>} */
  const headers = {
    "x-runledger-key": api.key,
    "x-runledger-timestamp": timestamp,
    "x-runledger-signature": `v1=${signature}`,
    ...extraHeaders,
  };
  if (body) headers["content-type"] = "application/json";
  let res;
  try {
    res = await fetch(`${api.url}${path}`, { method, headers, body: body || undefined });
  } catch (error) {
    throw Object.assign(new ActionError(`could not reach ${api.url}: ${/** @type {Error} */ (error).cause ?? error}`), { retry: true });
  }
  const text = await res.text();
  /** @type {any} */
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // reported below
  }
  if (res.ok && parsed) return parsed;
  const error = parsed?.error;
  const message = error ? `${error.code}: ${error.message} (request id ${error.request_id})` : `HTTP ${res.status}: ${text.slice(0, 200)}`;
  throw Object.assign(new ActionError(`${method} ${path} failed: ${message}`), { retry: res.status === 503 });
}
let lastMs = 0;

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The request body from the inputs. */
function executionBody() {
  const file = input("file");
  const inline = input("code");
  if (!file === !inline) throw new ActionError("give exactly one of the inputs 'code' and 'file'");
  let code = inline;
  if (file) {
    try {
      code = readFileSync(file, "utf8");
    } catch (error) {
      throw new ActionError(`cannot read the file '${file}': ${/** @type {NodeJS.ErrnoException} */ (error).code}`);
    }
  }
  const byExtension = /** @type {Record<string, string>} */ (BY_EXTENSION)[extname(file).toLowerCase()];
  /** @type {Record<string, unknown>} */
  const body = { code, language: input("language", byExtension ?? "python") };
  const timeout = integerInput("timeout-ms");
  if (timeout !== undefined) body.timeout_ms = timeout;
  const template = input("template");
  if (template) body.template = template;
  /** @type {Record<string, string>} */
  const env = {};
  for (const line of input("env").split(/\r?\n/)) {
    if (!line.trim() || line.trim().startsWith("#")) continue;
    const at = line.indexOf("=");
    if (at <= 0) throw new ActionError(`each line of 'env' is NAME=VALUE; this one is not: '${line.trim()}'`);
    env[line.slice(0, at).trim()] = line.slice(at + 1);
  }
  if (Object.keys(env).length) body.env = env;
  return body;
}

/**
 * One key per step run, kept across this step's own retries, so a retried request never runs
 * twice. Not derived from the run and job ids: matrix legs share those, and would share a run.
 */
function idempotencyKey() {
  return input("idempotency-key") || `gha-${randomUUID()}`;
}

async function main() {
  const secret = required("secret");
  console.log(`::add-mask::${secret}`);
  const api = { url: required("url").replace(/\/+$/, ""), key: required("key"), secret };
  const body = executionBody();
  const wait = booleanInput("wait", true);
  const failOnError = booleanInput("fail-on-error", true);
  const key = idempotencyKey();

  /** @type {any} */
  let execution;
  for (let attempt = 1; ; attempt++) {
    try {
      execution = await call(api, "POST", `/v1/executions${wait ? "?wait=30" : ""}`, body, { "idempotency-key": key });
      break;
    } catch (error) {
      if (!(/** @type {any} */ (error).retry) || attempt >= 4) throw error;
      console.log(`${/** @type {Error} */ (error).message}; retrying`);
      await sleep(2 ** attempt * 1000);
    }
  }
  console.log(`runledger execution ${execution.id}: ${execution.status}`);
  if (wait) {
    const limitMs = (integerInput("max-wait-seconds") ?? Math.ceil(execution.timeout_ms / 1000) + 300) * 1000;
    const deadline = Date.now() + limitMs;
    let failures = 0;
    while (!FINAL.includes(execution.status)) {
      if (Date.now() > deadline) throw new ActionError(`${execution.id} is still ${execution.status} after ${limitMs / 1000} s`);
      await sleep(1000);
      try {
        execution = await call(api, "GET", `/v1/executions/${execution.id}`);
        failures = 0;
      } catch (error) {
        if (!(/** @type {any} */ (error).retry) || ++failures > 10) throw error;
      }
    }
    console.log(`runledger execution ${execution.id}: ${execution.status}`);
  }

  const result = execution.result;
  setOutputs({
    "execution-id": execution.id,
    status: execution.status,
    "exit-code": result?.exit_code == null ? "" : String(result.exit_code),
    stdout: result?.stdout ?? "",
    stderr: result?.stderr ?? "",
    "cost-usd": execution.cost_usd ?? "",
  });
  printUntrusted("stdout", result?.stdout ?? "");
  printUntrusted("stderr", result?.stderr ?? "");
  if (result?.error) printUntrusted("error", result.error.traceback || `${result.error.name}: ${result.error.value}`);
  if (execution.cost_usd) console.log(`cost: $${execution.cost_usd} (sandbox ${execution.sandbox_ms} ms)`);

  if (wait && execution.status !== "succeeded") {
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
  const message = error instanceof ActionError ? error.message : (error?.stack ?? String(error));
  console.log(`::error title=runledger::${escapeData(message)}`);
  process.exitCode = 1;
});
