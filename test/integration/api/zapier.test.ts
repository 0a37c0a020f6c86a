import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { apiUrl, newKey, waitForFinal } from "./harness.js";

// The Zapier recipe's exact text, run as "Code by Zapier" runs JavaScript: the body of an async function with
// `inputData` (every value a string), `fetch` and `require` in scope, and the result in `output`.
const repoRoot = join(import.meta.dirname, "../../..");
const recipe = readFileSync(join(repoRoot, "recipes/zapier-code-step.js"), "utf8");

type ZapStep = (
  inputData: Record<string, string>,
  fetch: typeof globalThis.fetch,
  require: NodeJS.Require,
) => Promise<Record<string, unknown>>;
const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => ZapStep;
const step = new AsyncFunction("inputData", "fetch", "require", `let output;\n${recipe}\nreturn output;`);
const runStep = (inputData: Record<string, string>) => step(inputData, fetch, createRequire(import.meta.url));

async function inputs(code: string, extra: Record<string, string> = {}) {
  const { key, client } = await newKey();
  return { inputData: { url: apiUrl(), key: key.id, secret: key.secret, code, ...extra }, client };
}

describe("the Zapier code step", () => {
  test("runs the code and returns the finished execution's fields", async () => {
    const { inputData, client } = await inputs("print(6*7)", { wait_seconds: "8" });
    const output = await runStep(inputData);
    expect(output).toMatchObject({ status: "succeeded", finished: true, stdout: "42\n", stderr: "", error: "", exit_code: 0 });
    expect(output.execution_id).toMatch(/^exe_[0-9a-z]{24}$/);
    expect(output.cost_usd).toMatch(/^\d+\.\d{6}$/);
    const stored = await client.getExecution(String(output.execution_id));
    expect(stored).toMatchObject({ status: "succeeded", cost_usd: output.cost_usd });
  });

  test("a failure comes back as fields; the same idempotency key does not run twice", async () => {
    const { inputData, client } = await inputs('raise ValueError("boom")', {
      idempotency_key: "zap-123",
      language: "python",
      timeout_ms: "5000",
      wait_seconds: "8",
    });
    const first = await runStep(inputData);
    expect(first).toMatchObject({ status: "failed", finished: true, error: "ValueError: boom", exit_code: 1 });
    const second = await runStep(inputData);
    expect(second.execution_id).toBe(first.execution_id);
    expect((await client.listExecutions()).data).toHaveLength(1);
  });

  test("by default (wait_seconds 0, within the Free plan's second) it returns the id to look up later", async () => {
    const { inputData, client } = await inputs("import time; time.sleep(2); print('done')");
    const output = await runStep(inputData);
    expect(output.finished).toBe(false);
    expect(await waitForFinal(client, String(output.execution_id))).toMatchObject({ status: "succeeded", result: { stdout: "done\n" } });
  });

  test("an API error throws with the server's code, which fails the Zap step", async () => {
    const { inputData } = await inputs("1");
    await expect(runStep({ ...inputData, secret: `sk_${"z".repeat(43)}` })).rejects.toThrow(/^runledger: unauthorized: /);
    await expect(runStep({ ...inputData, code: "" })).rejects.toThrow("set url, key, secret and code");
  });

  test("the README shows the recipe verbatim", () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    expect(readme).toContain(`\`\`\`js\n${recipe}\`\`\``);
  });
});
