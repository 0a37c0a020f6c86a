import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { apiUrl, newKey } from "./harness.js";

// action/index.mjs run as a workflow runner runs a `node24` action: `node <main>`, inputs as INPUT_<NAME>
// (upper case, hyphens kept), outputs appended to the file named by GITHUB_OUTPUT, the job summary to
// the one named by GITHUB_STEP_SUMMARY.
const repoRoot = join(import.meta.dirname, "../../..");
const actionYml = readFileSync(join(repoRoot, "action.yml"), "utf8");
const main = join(repoRoot, /^ {2}main: (.+)$/m.exec(actionYml)?.[1] ?? "missing");
const scratch = mkdtempSync(join(tmpdir(), "runledger-action-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface StepResult {
  code: number | null;
  log: string;
  outputs: Record<string, string>;
  summary: string;
  /** Each chunk of the log with when it arrived. */
  chunks: Array<{ text: string; at: number }>;
}

/** Reads `name<<DELIMITER\nvalue\nDELIMITER` entries, as the runner does. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? "");
    if (!match) continue;
    const [, name, delimiter] = match as unknown as [string, string, string];
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? "");
    if (i >= lines.length) throw new Error(`output ${name} has no closing delimiter`);
    outputs[name] = value.join("\n");
  }
  return outputs;
}

let steps = 0;
async function runStep(inputs: Record<string, string>): Promise<StepResult> {
  const outputFile = join(scratch, `output-${++steps}`);
  const summaryFile = join(scratch, `summary-${steps}`);
  writeFileSync(outputFile, "");
  writeFileSync(summaryFile, "");
  const env: Record<string, string> = {
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_WORKSPACE: scratch,
    PATH: process.env.PATH ?? "",
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const chunks: Array<{ text: string; at: number }> = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [main], { cwd: scratch, env });
    const keep = (chunk: Buffer) => chunks.push({ text: chunk.toString(), at: Date.now() });
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", reject);
    child.on("close", resolve);
  });
  const log = chunks.map((c) => c.text).join("");
  return { code, log, chunks, outputs: parseOutputs(readFileSync(outputFile, "utf8")), summary: readFileSync(summaryFile, "utf8") };
}

const show = (step: StepResult) => `exit ${step.code}\n${step.log}\noutputs: ${JSON.stringify(step.outputs, null, 2)}`;

async function credentials() {
  const { key } = await newKey();
  return { url: apiUrl(), key: key.id, secret: key.secret };
}

describe("the GitHub Action", () => {
  test("action.yml declares every input the script reads, as a node24 action, and the bundle is built from its sources", async () => {
    const script = readFileSync(main, "utf8");
    const read = new Set([...script.matchAll(/(?:input|required|booleanInput|integerInput)\("([a-z-]+)"/g)].map((m) => m[1]));
    const section = actionYml.slice(actionYml.indexOf("\ninputs:"), actionYml.indexOf("\noutputs:"));
    const declared = new Set([...section.matchAll(/^ {2}([a-z-]+):$/gm)].map((m) => m[1]));
    expect([...read].sort()).toEqual([...declared].sort());
    expect(actionYml).toMatch(/^ {2}using: node24$/m);
    const { actionBundle } = (await import(join(repoRoot, "client/bin/build.mjs"))) as { actionBundle(): Promise<string> };
    expect(script === (await actionBundle()), "action/index.mjs is stale: run npm run build:action").toBe(true);
  });

  test("the output streams into the log as it is printed, and the job summary tells how it went", async () => {
    const creds = await credentials();
    const step = await runStep({ ...creds, code: "import time\nprint('early', flush=True)\ntime.sleep(1.5)\nprint('late')" });
    expect(step.code, show(step)).toBe(0);
    const early = step.chunks.find((c) => c.text.includes("early"));
    const late = step.chunks.find((c) => c.text.includes("late"));
    expect((late?.at ?? 0) - (early?.at ?? 0)).toBeGreaterThan(1000);
    expect(step.summary).toContain(`### runledger \`${step.outputs["execution-id"]}\``);
    expect(step.summary).toMatch(/\| status \| `succeeded` \|/);
    expect(step.summary).toMatch(/\| cost \| \$\d+\.\d{6} \(sandbox \d+ ms\) \|/);
    expect(step.summary).toMatch(/\| exit code \| 0 \|/);
    expect(step.summary).toContain("early\nlate\n");
  });

  test("a succeeded run: outputs in GITHUB_OUTPUT, the secret masked first, exit 0", async () => {
    const creds = await credentials();
    const step = await runStep({
      ...creds,
      code: 'import os\nprint(os.environ["GREETING"], 6*7)\nprint("two\\nlines")',
      "timeout-ms": "20000",
      env: "GREETING=hello\n# a comment\n\nOTHER=x=y",
    });
    expect(step.code, show(step)).toBe(0);
    expect(step.log.split("\n")[0]).toBe(`::add-mask::${creds.secret}`);
    expect(step.outputs).toMatchObject({ status: "succeeded", "exit-code": "0", stdout: "hello 42\ntwo\nlines\n", stderr: "" });
    expect(step.outputs["execution-id"]).toMatch(/^exe_[0-9a-z]{24}$/);
    expect(step.outputs["cost-usd"]).toMatch(/^\d+\.\d{6}$/);
    expect(step.log).not.toContain("::error");
  });

  test("outputs: the files come back into the workspace folder files-dir names, given as an output", async () => {
    const creds = await credentials();
    const step = await runStep({
      ...creds,
      code: "import os\nos.makedirs('out')\nopen('out/summary.md','w').write('# done\\n')",
      outputs: "out/*.md\n# a comment",
      "files-dir": "artifacts",
      internet: "false",
    });
    expect(step.code, show(step)).toBe(0);
    expect(step.outputs["files-dir"]).toBe(join(scratch, "artifacts"));
    expect(readFileSync(join(scratch, "artifacts", "out", "summary.md"), "utf8")).toBe("# done\n");
  });

  test("a failing run fails the step with ::error::, unless fail-on-error is false", async () => {
    const creds = await credentials();
    const code = 'raise ValueError("boom")';
    const failed = await runStep({ ...creds, code });
    expect(failed.code, show(failed)).toBe(1);
    expect(failed.outputs.status).toBe("failed");
    expect(failed.log).toMatch(/^::error title=runledger::runledger execution exe_\w+ ended failed: ValueError: boom$/m);
    const tolerated = await runStep({ ...creds, code, "fail-on-error": "false" });
    expect(tolerated.code, show(tolerated)).toBe(0);
    expect(tolerated.outputs.status).toBe("failed");
    expect(tolerated.log).toContain("::warning title=runledger::");
  });

  test("a file with its language from the extension; a timeout fails the step", async () => {
    const creds = await credentials();
    writeFileSync(join(scratch, "job.sh"), "echo from-bash\n");
    const step = await runStep({ ...creds, file: "job.sh" });
    expect(step.code, show(step)).toBe(0);
    expect(step.outputs).toMatchObject({ status: "succeeded", stdout: "from-bash\n" });
    const slow = await runStep({ ...creds, code: "import time; time.sleep(10)", "timeout-ms": "1000" });
    expect(slow.code, show(slow)).toBe(1);
    expect(slow.outputs.status).toBe("timed_out");
  });

  test("without wait: the queued execution's id, exit 0", async () => {
    const creds = await credentials();
    const step = await runStep({ ...creds, code: "print(1)", wait: "false" });
    expect(step.code, show(step)).toBe(0);
    expect(step.outputs.status).toMatch(/^(queued|running|succeeded)$/);
    expect(step.outputs["execution-id"]).toMatch(/^exe_/);
  });

  test("code printing workflow commands cannot issue them", async () => {
    const creds = await credentials();
    const step = await runStep({ ...creds, code: 'print("::error::forged")' });
    expect(step.code, show(step)).toBe(0);
    const stop = /^::stop-commands::(.+)$/m.exec(step.log)?.[1];
    expect(stop, show(step)).toBeDefined();
    const forged = step.log.indexOf("::error::forged");
    expect(forged).toBeGreaterThan(step.log.indexOf(`::stop-commands::${stop}`));
    expect(forged).toBeLessThan(step.log.indexOf(`::${stop}::`));
  });

  test("bad credentials or missing inputs fail the step with the server's code", async () => {
    const creds = await credentials();
    const forged = await runStep({ ...creds, secret: `sk_${"y".repeat(43)}`, code: "1" });
    expect(forged.code, show(forged)).toBe(1);
    expect(forged.log).toMatch(/^::error title=runledger::unauthorized: invalid signature or unknown key \(request id req_\w+\)$/m);
    expect(forged.outputs).toEqual({});
    const neither = await runStep({ ...creds });
    expect(neither.code, show(neither)).toBe(1);
    expect(neither.log).toContain("exactly one of the inputs 'code' and 'file'");
  });
});
