// A JavaScript code context, notebook style: top-level declarations persist between cells and
// the value of the last expression is the cell's result. Cells arrive as JSON lines on fd 3;
// events go out on fd 4; what the code prints goes to fds 1 and 2. TypeScript arrives here
// already stripped of its types by the sandbox host.
//
// A cell with top-level `await` is evaluated by Node's own REPL evaluator, which keeps the cell's
// declarations and returns its last value; other cells run as scripts that SIGINT can stop.
// Static `import` statements become `require` calls first (a cell is a script, not a module).
const fs = require("node:fs");
const path = require("node:path");
const repl = require("node:repl");
const { PassThrough } = require("node:stream");
const util = require("node:util");
const vm = require("node:vm");
const { createRequire } = require("node:module");

const REQUESTS_FD = 3;
const EVENTS_FD = 4;
let count = 0;

globalThis.require = createRequire(path.join(process.cwd(), "cell.js"));
globalThis.__importDefault = (mod) => (mod?.__esModule ? mod.default : mod);

const evaluator = repl.start({
  input: new PassThrough(),
  output: new PassThrough(),
  prompt: "",
  terminal: false,
  useGlobal: true,
  // Not the REPL's own SIGINT handling: it lets the signal end the process once a cell awaits.
  breakEvalOnSigint: false,
});
// The REPL reports a cell's exception to its domain, not to the callback: the running cell takes it.
let failCell = null;
// biome-ignore lint/complexity/useLiteralKeys: the REPL's domain has no public accessor
const domain = evaluator["_domain"];
domain.removeAllListeners("error");
domain.on("error", (error) => {
  if (failCell) failCell(error);
  else process.stderr.write(`${util.inspect(error)}\n`);
});
// While a cell awaits, an interrupt ends it (a script that runs is stopped by `breakOnSigint`).
process.on("SIGINT", () => {
  if (failCell) failCell(Object.assign(new Error("Script execution was interrupted by `SIGINT`"), { name: "KeyboardInterrupt" }));
});

const IMPORT_FROM = /^([ \t]*)import\s+(?:([\w$]+)\s*(?:,\s*)?)?(?:\*\s*as\s+([\w$]+)|\{([^}]*)\})?\s*from\s*(["'][^"'\n]+["'])[ \t]*;?/gm;
const IMPORT_BARE = /^([ \t]*)import\s*(["'][^"'\n]+["'])[ \t]*;?/gm;

/** `import … from "m"` as `var … = require("m")`, so that a cell can import and import again. */
function importsToRequires(code) {
  return code
    .replace(IMPORT_FROM, (_all, indent, def, ns, named, source) => {
      const parts = [];
      if (def) parts.push(`${def} = __importDefault(require(${source}))`);
      if (ns) parts.push(`${ns} = require(${source})`);
      if (named !== undefined) {
        const names = named
          .split(",")
          .map((n) => n.trim())
          .filter(Boolean)
          .map((n) => n.replace(/^type\s+/, "").replace(/\s+as\s+/, ": "));
        parts.push(`{ ${names.join(", ")} } = require(${source})`);
      }
      return parts.length ? `${indent}var ${parts.join(", ")};` : `${indent}require(${source});`;
    })
    .replace(IMPORT_BARE, (_all, indent, source) => `${indent}require(${source});`);
}

function emit(event) {
  fs.writeSync(EVENTS_FD, `${JSON.stringify(event)}\n`);
}

function describeError(error) {
  if (error instanceof Error) {
    const frames = (error.stack ?? "").split("\n").filter((line) => !/js-kernel\.cjs|node:repl|node:domain|node:vm|new Promise/.test(line));
    return { name: error.name, value: error.message, traceback: frames.join("\n") };
  }
  return { name: "Error", value: util.inspect(error), traceback: "" };
}

function evaluate(code, filename) {
  const source = importsToRequires(code);
  return new Promise((resolve, reject) => {
    failCell = reject;
    if (!/\bawait\b/.test(source)) {
      resolve(vm.runInThisContext(source, { filename, breakOnSigint: true }));
      return;
    }
    evaluator.eval(source, evaluator.context, filename, (error, value) => {
      if (error) reject(error instanceof repl.Recoverable ? new SyntaxError("Unexpected end of input") : error);
      else resolve(value);
    });
  }).finally(() => {
    failCell = null;
  });
}

function display(value) {
  // The host drops a string's quotes, as E2B does.
  return { type: "result", text: util.inspect(value), is_main_result: true };
}

async function run(cell) {
  count += 1;
  const saved = Object.fromEntries(Object.keys(cell.env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, cell.env);
  try {
    const value = await evaluate(cell.code, `cell-${count}.js`);
    if (value !== undefined) emit(display(value));
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
