import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { apiTypesPath, apiTypesSource, type Document } from "../../../client/tools/api-types.js";
import { apiUrl, newKey } from "./harness.js";
import { readmeSnippet } from "./readme-snippets.js";

// The client package as someone outside the repository gets it: `npm pack` in client/, the tarball
// installed globally into a prefix of its own, the `runledger` command run from an unrelated folder.
const run = promisify(execFile);
const repoRoot = join(import.meta.dirname, "../../..");
const scratch = mkdtempSync(join(tmpdir(), "runledger-package-test-"));
const prefix = join(scratch, "prefix");
const elsewhere = join(scratch, "elsewhere");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
let tarball = "";
let packed: string[] = [];

/** The environment without the machine's runledger or npm-prefix settings. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith("RUNLEDGER_") && !/^npm_config_prefix$/i.test(name)) env[name] = value;
  }
  return { ...env, ...extra };
}

beforeAll(async () => {
  const { stdout } = await run(npm, ["pack", "--json", "--pack-destination", scratch], {
    cwd: join(repoRoot, "client"),
    env: cleanEnv(),
  });
  const [result] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  if (!result) throw new Error(`npm pack said: ${stdout}`);
  tarball = join(scratch, result.filename);
  packed = result.files.map((f) => f.path);
  await run(npm, ["install", "-g", "--prefix", prefix, "--no-audit", "--no-fund", tarball], { cwd: scratch, env: cleanEnv() });
  mkdirSync(elsewhere);
}, 180_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the client package", () => {
  test("its wire types are those of the OpenAPI document the Worker serves", async () => {
    const doc = (await (await fetch(`${apiUrl()}/openapi.json`)).json()) as Document;
    const fresh = apiTypesSource(doc);
    expect(readFileSync(apiTypesPath, "utf8") === fresh, "client/api-types.ts is stale: run npm run build:types").toBe(true);
  });

  test("packs the bundles and declarations only, with no dependency", async () => {
    expect(tarball).toMatch(/runledger-client-\d+\.\d+\.\d+\.tgz$/);
    expect(packed.sort()).toEqual(
      expect.arrayContaining(["dist/index.mjs", "dist/runledger.mjs", "dist/types/index.d.ts", "package.json"]),
    );
    expect(packed.filter((path) => !/^(dist\/|package\.json$)/.test(path))).toEqual([]);
    const installed = join(prefix, "lib/node_modules/@runledger/client");
    expect(readdirSync(installed).sort()).toEqual(["dist", "package.json"]);
  });

  test("installed globally, `runledger` runs code from any folder", async () => {
    const { key } = await newKey();
    const env = cleanEnv({ RUNLEDGER_URL: apiUrl(), RUNLEDGER_KEY: key.id, RUNLEDGER_SECRET: key.secret });
    const bin = join(prefix, "bin/runledger");
    writeFileSync(join(elsewhere, "job.py"), "print(6*7)\n");
    const ran = await run(bin, ["run", "job.py", "--wait"], { cwd: elsewhere, env });
    expect(ran.stdout).toBe("42\n");
    const help = await run(bin, ["--help"], { cwd: elsewhere, env });
    expect(help.stdout).toContain("Exit status:");
  });

  test("the library imports and typechecks outside the repository, and signs real requests", async () => {
    const { key } = await newKey();
    const installed = join(prefix, "lib/node_modules/@runledger/client");
    // A consumer project of its own: the package under node_modules, nothing else.
    const project = join(scratch, "consumer");
    mkdirSync(join(project, "node_modules/@runledger"), { recursive: true });
    await run("cp", ["-R", installed, join(project, "node_modules/@runledger/client")]);
    writeFileSync(join(project, "package.json"), JSON.stringify({ type: "module" }));
    const source = [
      'import { RunledgerClient, type Execution, type ExecutionCreateInput } from "@runledger/client";',
      "const { RUNLEDGER_URL = '', RUNLEDGER_KEY = '', RUNLEDGER_SECRET = '' } = process.env;",
      "const client = new RunledgerClient({ url: RUNLEDGER_URL, keyId: RUNLEDGER_KEY, secret: RUNLEDGER_SECRET });",
      'const body: ExecutionCreateInput = { code: "print(1 + 1)", language: "python" };',
      "const execution: Execution = await client.run(body);",
      "console.log(JSON.stringify({ status: execution.status, stdout: execution.result?.stdout }));",
    ].join("\n");
    writeFileSync(join(project, "main.ts"), source);
    writeFileSync(
      join(project, "main.mjs"),
      source.replace(", type Execution, type ExecutionCreateInput", "").replace(/: (ExecutionCreateInput|Execution) =/g, " ="),
    );
    const tsc = join(repoRoot, "node_modules/typescript/bin/tsc");
    const options = [
      "--noEmit",
      "--strict",
      "--module",
      "nodenext",
      "--target",
      "es2022",
      "--types",
      "node",
      "--typeRoots",
      join(repoRoot, "node_modules/@types"),
    ];
    // The README's TypeScript snippet, saved as it says (hello.mts) and type-checked with the rest.
    writeFileSync(join(project, "hello.mts"), readmeSnippet("client-ts"));
    await run(process.execPath, [tsc, ...options, "main.ts", "hello.mts"], { cwd: project });
    const env = cleanEnv({ RUNLEDGER_URL: apiUrl(), RUNLEDGER_KEY: key.id, RUNLEDGER_SECRET: key.secret });
    const ran = await run(process.execPath, ["main.mjs"], { cwd: project, env });
    expect(JSON.parse(ran.stdout)).toEqual({ status: "succeeded", stdout: "2\n" });

    // Run as the README says (`npx tsx hello.mts`; here the repository's own tsx, since the test is offline).
    const tsx = join(repoRoot, "node_modules/tsx/dist/cli.mjs");
    const hello = await run(process.execPath, [tsx, "hello.mts"], {
      cwd: project,
      env: { ...env, RUNLEDGER_ADMIN_TOKEN: inject("adminToken") },
    });
    expect(hello.stdout).toMatch(/^42\nsucceeded 42\n +0\.\d{6}\n409 execution_finished /);
    expect(hello.stdout).toMatch(/\nkey_[0-9a-z]{24} sk_/);
  });
});
