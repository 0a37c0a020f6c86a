// A JavaScript code context, notebook style: top-level declarations persist between cells and
// the value of the last expression is the cell's result. Cells arrive as JSON lines on fd 3;
// events go out on fd 4; what the code prints goes to fds 1 and 2. TypeScript arrives here
// already stripped of its types by the sandbox host.
const fs = require("node:fs");
const path = require("node:path");
const util = require("node:util");
const vm = require("node:vm");
const { createRequire } = require("node:module");

const REQUESTS_FD = 3;
const EVENTS_FD = 4;
let count = 0;

globalThis.require = createRequire(path.join(process.cwd(), "cell.js"));

function emit(event) {
  fs.writeSync(EVENTS_FD, `${JSON.stringify(event)}\n`);
}

function describeError(error) {
  if (error instanceof Error) {
    const frames = (error.stack ?? "").split("\n").filter((line) => !line.includes("js-kernel.cjs"));
    return { name: error.name, value: error.message, traceback: frames.join("\n") };
  }
  return { name: "Error", value: util.inspect(error), traceback: "" };
}

async function evaluate(code, filename) {
  try {
    return await vm.runInThisContext(code, { filename });
  } catch (error) {
    // Top-level await only works inside an async function; its declarations stay local to the cell.
    if (error instanceof SyntaxError && /\bawait\b/.test(code) && /await/.test(error.message)) {
      return await vm.runInThisContext(`(async () => {\n${code}\n})()`, { filename, lineOffset: -1 });
    }
    throw error;
  }
}

async function run(cell) {
  count += 1;
  const saved = Object.fromEntries(Object.keys(cell.env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, cell.env);
  try {
    const value = await evaluate(cell.code, `cell-${count}.js`);
    if (value !== undefined) emit({ type: "result", text: util.inspect(value), is_main_result: true });
  } catch (error) {
    emit({ type: "error", ...describeError(error) });
  } finally {
    for (const [key, old] of Object.entries(saved)) {
      if (old === undefined) delete process.env[key];
      else process.env[key] = old;
    }
  }
  emit({ type: "number_of_executions", execution_count: count });
  emit({ type: "end" });
}

process.on("uncaughtException", (error) => process.stderr.write(`${util.inspect(error)}\n`));
process.on("unhandledRejection", (error) => process.stderr.write(`Unhandled rejection: ${util.inspect(error)}\n`));

let pending = "";
let queue = Promise.resolve();
const requests = fs.createReadStream("", { fd: REQUESTS_FD });
requests.setEncoding("utf8");
requests.on("data", (chunk) => {
  pending += chunk;
  let newline = pending.indexOf("\n");
  while (newline !== -1) {
    const cell = JSON.parse(pending.slice(0, newline));
    pending = pending.slice(newline + 1);
    queue = queue.then(() => run(cell));
    newline = pending.indexOf("\n");
  }
});
requests.on("end", () => process.exit(0));
