import { randomUUID } from "node:crypto";
import { basename, extname, isAbsolute, normalize } from "node:path";
import { isFinal, type RunledgerClient } from "../client.js";
import { RunledgerError } from "../errors.js";
import { saveOutputFiles } from "../output-files.js";
import { type Execution, type ExecutionCreateInput, LANGUAGES, type Language } from "../types.js";
import { integer, oneOf, pairs, parse } from "./args.js";
import type { Command } from "./command.js";
import { keyClient } from "./config.js";
import { EXIT, exitCodeFor, usageError } from "./exit.js";
import { followOutput, printEnding, printResult } from "./follow.js";
import { printHelp, printJson, readLocal, readStdin } from "./io.js";
import { Spinner } from "./spinner.js";

const BY_EXTENSION: Record<string, Language> = {
  ".py": "python",
  ".js": "javascript",
  ".mjs": "javascript",
  ".cjs": "javascript",
  ".ts": "typescript",
  ".sh": "bash",
  ".bash": "bash",
  ".r": "r",
  ".java": "java",
};

const help = `Usage: runledger run FILE|- [options]

Runs FILE (or standard input, with -) in a sandbox.

Options:
  -l, --language L         python, javascript, typescript, bash, r or java
                           (default: from FILE's extension: .py .js .mjs .cjs .ts .sh .bash .r .java;
                           another extension is a usage error; standard input is python)
  -t, --timeout MS         the run's timeout in milliseconds (server default 30000)
  -e, --env NAME=VALUE     an environment variable for the code (repeatable)
  -f, --file LOCAL[:PATH]  upload a local file next to the code, at PATH (default: LOCAL if it is
                           relative, else its name) under /home/user (repeatable)
  -o, --outputs PATTERN    a glob under /home/user (out/*.csv, **/*.png) whose files come back in
                           result.files when the code ends (repeatable, at most 16)
      --into DIR           with --wait: write the files that came back under DIR, at their paths
      --tag TAG            a label for reports and filters (repeatable, at most 8)
      --fit-timeout        if the timeout's reservation does not fit the budget left, run with the
                           largest whole-second timeout that does (timeout_policy fit)
      --internet, --no-internet
                           let the sandbox reach the internet, or give it no network at all
                           (default: the key's internet_access)
      --template NAME      the sandbox template (deployment default otherwise)
      --webhook-url URL    deliver the final execution to URL, signed with the key's webhook secret
      --idempotency-key K  a retry with the same key and code answers the original execution
                           (default: a fresh key, reused for this command's own retries)
  -w, --wait               follow the run: print its stdout to stdout and its stderr to stderr as
                           the code prints them, then its error, and exit with the run's status
                           (see runledger --help)
      --json               with --wait: print the finished execution as JSON instead of its output

Without --wait it prints the queued execution as JSON and exits 0.
Ctrl-C while waiting cancels the execution, keeps what was printed, and exits 130.`;

/** The language a file's extension names (standard input is Python unless --language says otherwise). */
function languageOf(source: string): Language {
  if (source === "-") return "python";
  const extension = extname(source).toLowerCase();
  const language = BY_EXTENSION[extension];
  if (language) return language;
  const known = Object.keys(BY_EXTENSION).join(" ");
  throw usageError(
    `cannot tell the language of ${source} from ${extension ? `its extension ${extension}` : "a name without an extension"}: ` +
      `pass --language ${LANGUAGES.join("|")}\n(extensions known: ${known})`,
  );
}

/** The file to upload: its bytes as UTF-8 text when they are, else base64. */
function fileEntry(spec: string) {
  const colon = spec.lastIndexOf(":");
  const local = colon > 0 ? spec.slice(0, colon) : spec;
  const given = colon > 0 ? spec.slice(colon + 1) : undefined;
  const relative = !isAbsolute(local) && !normalize(local).startsWith("..");
  const path = given ?? (relative ? normalize(local) : basename(local));
  const bytes = readLocal(local);
  const text = bytes.toString("utf8");
  return Buffer.from(text, "utf8").equals(bytes)
    ? { path, content: text, encoding: "utf8" as const }
    : { path, content: bytes.toString("base64"), encoding: "base64" as const };
}

/** Submits, retrying only when the platform was unavailable or unreachable (same idempotency key: never two runs). */
async function submit(client: RunledgerClient, body: ExecutionCreateInput, wait: number | undefined, idempotencyKey: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.createExecution(body, { wait, idempotencyKey });
    } catch (error) {
      // Nothing listening (the server is down, or RUNLEDGER_URL is wrong) is said at once, not after retries.
      const transient =
        error instanceof RunledgerError && (error.code === "unavailable" || (error.code === "network_error" && !error.unreachable));
      if (!transient || attempt >= 4) throw error;
      await new Promise((resolve) => setTimeout(resolve, (error.retryAfter ?? 2 ** (attempt - 1)) * 1000));
    }
  }
}

/** Writes the run's output files under `into`, or says on stderr that there are some to save. */
function saveOrMention(finished: Execution, into: string | undefined): void {
  const files = finished.result?.files ?? [];
  if (files.length === 0) return;
  if (!into) {
    process.stderr.write(`runledger: ${files.length} output file(s) came back; add --into DIR to save them\n`);
    return;
  }
  const written = saveOutputFiles(files, into);
  process.stderr.write(
    `runledger: wrote ${written.length} file(s) under ${into}${finished.result?.truncated ? " (some did not fit)" : ""}\n`,
  );
}

export const runCommand: Command = {
  name: "run",
  summary: "run a file or standard input in a sandbox",
  help,
  async run(argv) {
    const { values, positionals } = parse("run", argv, {
      language: { type: "string", short: "l" },
      timeout: { type: "string", short: "t" },
      env: { type: "string", short: "e", multiple: true },
      file: { type: "string", short: "f", multiple: true },
      outputs: { type: "string", short: "o", multiple: true },
      tag: { type: "string", multiple: true },
      "fit-timeout": { type: "boolean" },
      into: { type: "string" },
      internet: { type: "boolean" },
      "no-internet": { type: "boolean" },
      template: { type: "string" },
      "webhook-url": { type: "string" },
      "idempotency-key": { type: "string" },
      wait: { type: "boolean", short: "w" },
      json: { type: "boolean" },
    });
    if (values.help) return printHelp(help);
    const [source, ...extra] = positionals;
    if (!source || extra.length) throw usageError("run takes one FILE, or - for standard input\nSee: runledger run --help");
    const code = source === "-" ? await readStdin() : readLocal(source).toString("utf8");
    if (!code) throw usageError(`no code in ${source === "-" ? "standard input" : source}`);
    const language = oneOf(values.language, LANGUAGES, "--language") ?? languageOf(source);
    const body: ExecutionCreateInput = { code, language };
    const timeout = integer(values.timeout, "--timeout");
    if (timeout !== undefined) body.timeout_ms = timeout;
    if (values.env) body.env = pairs(values.env, "--env");
    if (values.file) body.files = values.file.map(fileEntry);
    if (values.outputs) body.outputs = values.outputs;
    if (values.tag) body.tags = values.tag;
    if (values["fit-timeout"]) body.timeout_policy = "fit";
    if (values.internet && values["no-internet"]) throw usageError("--internet and --no-internet contradict each other");
    if (values.internet) body.internet = true;
    if (values["no-internet"]) body.internet = false;
    if (values.into && !values.wait) throw usageError("--into needs --wait: the files come back when the run ends");
    if (values.template) body.template = values.template;
    if (values["webhook-url"]) body.webhook_url = values["webhook-url"];

    const client = keyClient();
    const idempotencyKey = values["idempotency-key"] ?? `cli-${randomUUID()}`;
    if (!values.wait) return printJson(await submit(client, body, undefined, idempotencyKey));

    const spinner = new Spinner("runledger").start();
    const interrupted = new AbortController();
    const onInterrupt = () => interrupted.abort();
    process.once("SIGINT", onInterrupt);
    try {
      const submitted = await submit(client, body, undefined, idempotencyKey);
      spinner.update(submitted.id, submitted.status);
      const waitQuietly = () => client.waitForExecution(submitted.id, { signal: interrupted.signal }).catch(() => null);
      // Output is printed as the code prints it (unless the execution is wanted as JSON); the spinner gives way to the first of it.
      const finished = isFinal(submitted)
        ? submitted
        : values.json
          ? await waitQuietly()
          : await followOutput(client, submitted.id, { signal: interrupted.signal, onOutput: () => spinner.stop() }).catch(waitQuietly);
      spinner.stop();
      if (!finished || interrupted.signal.aborted) {
        const canceled = await client.cancelExecution(submitted.id).then(
          () => true,
          () => false,
        );
        process.stderr.write(`runledger: interrupted; ${submitted.id} ${canceled ? "canceled" : "was not canceled"}\n`);
        return EXIT.interrupted;
      }
      if (values.json) printJson(finished);
      else if (isFinal(submitted)) printResult(finished);
      else printEnding(finished);
      saveOrMention(finished, values.into);
      return exitCodeFor(finished.status);
    } finally {
      spinner.stop();
      process.off("SIGINT", onInterrupt);
    }
  },
};
