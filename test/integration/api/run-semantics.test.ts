import { describe, expect, test } from "vitest";
import { type ApiErrorBody, type Execution, newKey, run } from "./harness.js";

// Runs behave as a script author expects (contract §8): exit codes as a script's, whatever it
// printed stored and settled, and no request string that the ledger could not hold.
describe("exit codes, as a script's", () => {
  const cases: Array<[string, string, string, "succeeded" | "failed", number, string]> = [
    ["python", "sys.exit(0) after a print", "import sys\nprint('before')\nsys.exit(0)", "succeeded", 0, "before\n"],
    ["python", "sys.exit()", "import sys\nsys.exit()", "succeeded", 0, ""],
    ["python", "sys.exit(None)", "import sys\nsys.exit(None)", "succeeded", 0, ""],
    ["python", "sys.exit(3) after a print", "import sys\nprint('partial')\nsys.exit(3)", "failed", 3, "partial\n"],
    ["python", "raise SystemExit('bye')", "raise SystemExit('bye')", "failed", 1, ""],
    ["python", "an uncaught exception", "print('x')\n1/0", "failed", 1, "x\n"],
    ["javascript", "process.exit(2) after a log", "console.log('before')\nprocess.exit(2)\nconsole.log('never')", "failed", 2, "before\n"],
    ["javascript", "process.exit()", "console.log('ok')\nprocess.exit()", "succeeded", 0, "ok\n"],
    ["javascript", "process.exit(0)", "process.exit(0)", "succeeded", 0, ""],
    ["typescript", "process.exit(n: number)", "const n: number = 4\nconsole.log('ts')\nprocess.exit(n)", "failed", 4, "ts\n"],
    ["typescript", "process.exit(0)", "const s: string = 'fine'\nconsole.log(s)\nprocess.exit(0)", "succeeded", 0, "fine\n"],
    ["bash", "exit 5", "echo hi\nexit 5", "failed", 5, "hi\n"],
    ["bash", "exit 0", "echo hi\nexit 0", "succeeded", 0, "hi\n"],
  ];
  for (const [language, name, code, status, exitCode, stdout] of cases) {
    test(`${language}: ${name} → ${status}, exit code ${exitCode}, at once`, async () => {
      const { client } = await newKey();
      const execution = await run(client, { language, code, timeout_ms: 20_000 });
      expect(execution.status, JSON.stringify(execution.result)).toBe(status);
      expect(execution.result?.exit_code).toBe(exitCode);
      expect(execution.result?.stdout).toBe(stdout);
      if (status === "succeeded") expect(execution.result?.error).toBeNull();
      // Not at the timeout: the run ends when the script does.
      expect(execution.duration_ms ?? Number.POSITIVE_INFINITY).toBeLessThan(10_000);
    });
  }
});

describe("output the ledger cannot hold as printed", () => {
  test("python printing NUL and invalid UTF-8: settled at its actual cost, with its output, the bytes as U+FFFD", async () => {
    const { client } = await newKey();
    const code = "import sys\nprint('a\\0b')\nsys.stdout.flush()\nsys.stdout.buffer.write(b'\\xff\\xfe end\\n')\nsys.stdout.flush()";
    const execution = await run(client, { code });
    expect(execution.status, JSON.stringify(execution.result)).toBe("succeeded");
    expect(execution.result?.stdout).toBe("a\uFFFDb\n\uFFFD\uFFFD end\n");
    expect(Number(execution.cost_usd)).toBeGreaterThan(0);
    expect(Number(execution.cost_usd)).toBeLessThan(Number(execution.reserved_usd));
  });

  test("bash printf '\\0\\377': settled, its output kept with U+FFFD", async () => {
    const { client } = await newKey();
    const execution = await run(client, { language: "bash", code: "printf 'x\\0\\377y\\n'; printf 'err\\0\\n' >&2" });
    expect(execution.status, JSON.stringify(execution.result)).toBe("succeeded");
    expect(execution.result?.stdout).toBe("x\uFFFD\uFFFDy\n");
    expect(execution.result?.stderr).toBe("err\uFFFD\n");
    expect(Number(execution.cost_usd)).toBeLessThan(Number(execution.reserved_usd));
  });

  test("a NUL in a raised exception's message and in the last expression's value", async () => {
    const { client } = await newKey();
    const raised = await run(client, { code: "raise ValueError('bad\\0value')" });
    expect(raised.status).toBe("failed");
    expect(raised.result?.error?.value).toBe("bad\uFFFDvalue");
    const returned = await run(client, { code: "'nul\\0here'" });
    expect(returned.status).toBe("succeeded");
    expect(returned.result?.text).toBe("nul\\x00here");
  });
});

describe("request strings the ledger cannot hold", () => {
  const bodies: Array<[string, Record<string, unknown>]> = [
    ["code", { code: "print(1)\u0000" }],
    ["code", { code: "print('\ud800')" }],
    ["env.TOKEN", { code: "print(1)", env: { TOKEN: "a\u0000b" } }],
    ["env.A\uFFFDB", { code: "print(1)", env: { "A\u0000B": "x" } }],
    ["metadata.job", { code: "print(1)", metadata: { job: "\udc00" } }],
    ["files.0.content", { code: "print(1)", files: [{ path: "a.txt", content: "x\u0000y" }] }],
    ["files.0.path", { code: "print(1)", files: [{ path: "a\u0000.txt", content: "x" }] }],
    ["template", { code: "print(1)", template: "base\u0000" }],
    ["webhook_url", { code: "print(1)", webhook_url: "https://example.com/\ud83d" }],
  ];
  for (const [field, body] of bodies) {
    test(`${field} → 400 invalid_request naming it`, async () => {
      const { client } = await newKey();
      const res = await client.request<ApiErrorBody>("POST", "/v1/executions", body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
      expect(res.body.error.details).toEqual([expect.objectContaining({ field })]);
    });
  }

  test("a NUL in a query parameter → 400 naming it; a well-formed pair of surrogates is fine", async () => {
    const { client } = await newKey();
    const res = await client.request<ApiErrorBody>("GET", "/v1/executions?status=%00");
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: "status" })]);
    const fine = await client.request<Execution>("POST", "/v1/executions", { code: "print('🙂')", metadata: { emoji: "🙂" } });
    expect(fine.status).toBe(202);
  });

  test("an admin request's strings are held to the same rule", async () => {
    const { admin } = await import("./harness.js");
    const res = await admin<ApiErrorBody>("POST", "/admin/keys", { name: "bad\u0000name", budget_usd: "1", budget_period: "day" });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: "name" })]);
  });
});
