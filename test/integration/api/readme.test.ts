import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, test } from "vitest";
import type { Execution } from "../../../client/index.js";
import { apiUrl, newKey } from "./harness.js";
import { readmeSnippet } from "./readme-snippets.js";

// The README's snippets, copied out of it as a reader would and run against the stack; its routes table against
// the OpenAPI document.
const run = promisify(execFile);
const repoRoot = join(import.meta.dirname, "../../..");
const scratch = mkdtempSync(join(tmpdir(), "runledger-readme-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function keyEnv(): Promise<Record<string, string>> {
  const { key } = await newKey();
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !name.startsWith("RUNLEDGER_")) env[name] = value;
  // Only what a reader has: PATH, and the three variables.
  return {
    PATH: env.PATH ?? "/usr/bin:/bin",
    HOME: env.HOME ?? scratch,
    RUNLEDGER_URL: apiUrl(),
    RUNLEDGER_KEY: key.id,
    RUNLEDGER_SECRET: key.secret,
  };
}

describe("README snippets", () => {
  test("the bash snippet signs with milliseconds: three submits in a row are three executions", async () => {
    const script = readmeSnippet("sign-bash");
    expect(script).not.toContain("sha256sum");
    const env = await keyEnv();
    const answers = await Promise.all(
      [1, 2, 3].map(async () => JSON.parse((await run("bash", ["-c", script], { cwd: scratch, env })).stdout) as Execution),
    );
    for (const answer of answers) expect(answer, JSON.stringify(answer)).toMatchObject({ status: "queued", language: "python" });
    expect(new Set(answers.map((a) => a.id)).size).toBe(3);
  });

  test("the Node snippet runs as saved and prints the finished execution", async () => {
    const file = join(scratch, "sign.mjs");
    writeFileSync(file, readmeSnippet("sign-node"));
    const { stdout } = await run(process.execPath, [file], { cwd: scratch, env: await keyEnv() });
    expect(stdout).toContain("status: 'succeeded'");
    expect(stdout).toContain("stdout: '42\\n'");
  });
});

describe("README routes table", () => {
  test("lists exactly the routes of /openapi.json", async () => {
    const spec = (await (await fetch(`${apiUrl()}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const served = Object.entries(spec.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("\n## Routes\n"), readme.indexOf("\n## ", readme.indexOf("\n## Routes\n") + 5));
    const listed = section
      .split("\n")
      .filter((line) => line.startsWith("| `"))
      .flatMap((line) => [...(line.split("|")[1] ?? "").matchAll(/`([A-Z]+) ([^`?]+)(\?[^`]*)?`/g)].map((m) => `${m[1]} ${m[2]}`));
    expect(listed.length).toBeGreaterThan(0);
    expect(
      served.filter((route) => !listed.includes(route)),
      "routes missing from the README's table",
    ).toEqual([]);
    expect(
      listed.filter((route) => !served.includes(route)),
      "routes in the README's table that are not served",
    ).toEqual([]);
  });
});
