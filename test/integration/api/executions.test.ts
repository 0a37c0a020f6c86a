import { describe, expect, inject, test } from "vitest";
import { type ApiErrorBody, type Execution, newKey, run, sandboxesLeft, waitForFinal } from "./harness.js";

// Signed request → ledger → sandbox → result, through the Worker in workerd only.
describe("running code", () => {
  test("python runs and its output, duration and cost are in the ledger", async () => {
    const { client } = await newKey();
    const execution = await run(client, { language: "python", code: "print(6*7)" });
    expect(execution, JSON.stringify(execution)).toMatchObject({
      status: "succeeded",
      language: "python",
      template: "code-interpreter-v1",
    });
    expect(execution.result?.stdout).toBe("42\n");
    expect(execution.result?.exit_code).toBe(0);
    expect(execution.sandbox_ms).toBeGreaterThan(0);
    expect(execution.duration_ms).toBeGreaterThanOrEqual(0);
    // code-interpreter-v1 costs 37 micro-dollars a second; a sub-second run is billed one second.
    expect(execution.cost_usd).toBe(`0.${String(37 * Math.ceil((execution.sandbox_ms ?? 0) / 1000)).padStart(6, "0")}`);
    expect(execution.reserved_usd).toBe("0.001147");
  });

  test("the last expression is the text result", async () => {
    const { client } = await newKey();
    const execution = await run(client, { code: "x = 20\nx * 2 + 2" });
    expect(execution.result?.text).toBe("42");
  });

  test("javascript and bash run too", async () => {
    const { client } = await newKey();
    const js = await run(client, { language: "javascript", code: "console.log([1, 2, 3].map((n) => n * 2).join(','))" });
    expect(js.status, JSON.stringify(js)).toBe("succeeded");
    expect(js.result?.stdout).toBe("2,4,6\n");
    const bash = await run(client, { language: "bash", code: 'echo "hello from $SHELL_NAME"; pwd', env: { SHELL_NAME: "bash" } });
    expect(bash.status, JSON.stringify(bash)).toBe("succeeded");
    expect(bash.result?.stdout).toBe("hello from bash\n/home/user\n");
    const failing = await run(client, { language: "bash", code: "echo partial; exit 7" });
    expect(failing.status).toBe("failed");
    expect(failing.result?.exit_code).toBe(7);
    expect(failing.result?.stdout).toBe("partial\n");
  });

  test("an exception is failed, with its traceback", async () => {
    const { client } = await newKey();
    const execution = await run(client, { code: "def explode():\n    raise ValueError('no good')\nexplode()" });
    expect(execution.status).toBe("failed");
    expect(execution.result?.error?.name).toBe("ValueError");
    expect(execution.result?.error?.value).toBe("no good");
    expect(execution.result?.error?.traceback).toContain("explode()");
    expect(execution.result?.exit_code).toBe(1);
  });

  test("files and env reach the code", async () => {
    const { client } = await newKey();
    const execution = await run(client, {
      code: "import os\nprint(open('data/in.txt').read(), open('blob.bin','rb').read(), os.environ['GREETING'])",
      env: { GREETING: "hi" },
      files: [
        { path: "data/in.txt", content: "text file", encoding: "utf8" },
        { path: "blob.bin", content: Buffer.from([1, 2, 3]).toString("base64"), encoding: "base64" },
      ],
      metadata: { workflow: "ci" },
    });
    expect(execution.result?.stdout).toBe("text file b'\\x01\\x02\\x03' hi\n");
    expect(execution.metadata).toEqual({ workflow: "ci" });
  });

  test("a run past timeout_ms is timed_out, billed for its sandbox, and no sandbox is left", async () => {
    const { client } = await newKey();
    const execution = await run(client, { code: "print('started', flush=True)\nwhile True: pass", timeout_ms: 2000 });
    expect(execution.status, JSON.stringify(execution)).toBe("timed_out");
    expect(execution.duration_ms).toBe(2000);
    expect(execution.result?.stdout).toBe("started\n");
    expect(execution.sandbox_ms).toBeGreaterThanOrEqual(2000);
    expect(execution.cost_usd).toBe(`0.${String(37 * Math.ceil((execution.sandbox_ms ?? 0) / 1000)).padStart(6, "0")}`);
    expect(await sandboxesLeft(execution.id)).toEqual([]);
  });

  test("a sandbox that never starts is an error that costs nothing, its reservation released", async () => {
    const { client } = await newKey({ budget_usd: "0.002" });
    await fetch(`${inject("sandboxHostUrl")}/_local/faults`, {
      method: "POST",
      body: JSON.stringify({ createFailure: { status: 500, count: 3 } }),
    });
    try {
      const execution = await run(client, { code: "print(1)" });
      expect(execution.status, JSON.stringify(execution)).toBe("error");
      expect(execution.cost_usd).toBe("0.000000");
      expect(execution.sandbox_ms).toBeNull();
      expect(execution.result?.error?.name).toBe("PlatformError");
      expect(execution.result?.error?.value).toContain("would not start");
      const budget = await client.request<{ spent_usd: string; reserved_usd: string }>("GET", "/v1/budget");
      expect(budget.body).toMatchObject({ spent_usd: "0.000000", reserved_usd: "0.000000" });
    } finally {
      await fetch(`${inject("sandboxHostUrl")}/_local/faults`, { method: "DELETE" });
    }
  });

  test("output beyond the cap is cut and marked truncated; the status is unaffected", async () => {
    const { client } = await newKey();
    const execution = await run(client, { code: "import sys\nfor _ in range(1200):\n    sys.stdout.write('x' * 1023 + '\\n')" });
    expect(execution.status).toBe("succeeded");
    expect(execution.result?.truncated).toBe(true);
    expect(execution.result?.stdout.length).toBe(1024 * 1024);
  });

  test("wait holds the answer until the run finishes, else answers 202", async () => {
    const { client } = await newKey();
    const done = await client.request<Execution>("POST", "/v1/executions?wait=20", { code: "1 + 1" });
    expect(done.status).toBe(200);
    expect(done.body.status).toBe("succeeded");
    const slow = await client.request<Execution>("POST", "/v1/executions?wait=1", { code: "import time; time.sleep(3)" });
    expect(slow.status).toBe(202);
    expect(["queued", "running"]).toContain(slow.body.status);
    expect(slow.headers.get("location")).toBe(`/v1/executions/${slow.body.id}`);
    expect((await waitForFinal(client, slow.body.id)).status).toBe("succeeded");
  });
});

describe("reading executions", () => {
  test("get and list show only this key's executions, newest first, with paging", async () => {
    const { client } = await newKey();
    const { client: other } = await newKey();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await run(client, { code: `print(${i})` })).id);
    const page1 = await client.request<{ data: Execution[]; next_cursor: string | null }>("GET", "/v1/executions?limit=2");
    expect(page1.body.data.map((e) => e.id)).toEqual([ids[2], ids[1]]);
    expect(page1.body.next_cursor).toBe(ids[1]);
    const page2 = await client.request<{ data: Execution[]; next_cursor: string | null }>(
      "GET",
      `/v1/executions?limit=2&cursor=${page1.body.next_cursor}`,
    );
    expect(page2.body.data.map((e) => e.id)).toEqual([ids[0]]);
    expect(page2.body.next_cursor).toBeNull();
    const filtered = await client.request<{ data: Execution[] }>("GET", "/v1/executions?status=failed");
    expect(filtered.body.data).toEqual([]);
    const foreign = await other.request<ApiErrorBody>("GET", `/v1/executions/${ids[0]}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe("not_found");
    const badLimit = await client.request<ApiErrorBody>("GET", "/v1/executions?limit=500");
    expect(badLimit.status).toBe(400);
    expect(JSON.stringify(badLimit.body.error.details)).toContain("limit");
  });
});

describe("cancel", () => {
  test("a running execution is canceled, its sandbox killed, and it is billed for what ran", async () => {
    const { client } = await newKey();
    const submitted = await client.request<Execution>("POST", "/v1/executions", {
      code: "print('on', flush=True)\nimport time\ntime.sleep(60)",
    });
    expect(submitted.status).toBe(202);
    const deadline = Date.now() + 15_000;
    let current = submitted.body;
    while (!(current.status === "running" && current.started_at) && Date.now() < deadline) {
      current = (await client.request<Execution>("GET", `/v1/executions/${submitted.body.id}`)).body;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const canceled = await client.request<Execution>("POST", `/v1/executions/${submitted.body.id}/cancel`);
    expect(canceled.status, JSON.stringify(canceled.body)).toBe(200);
    expect(canceled.body.status).toBe("canceled");
    const settled = await waitForSettled(client, submitted.body.id);
    expect(settled.status).toBe("canceled");
    expect(Number(settled.cost_usd)).toBeGreaterThan(0);
    expect(await sandboxesLeft(submitted.body.id)).toEqual([]);
    const again = await client.request<ApiErrorBody>("POST", `/v1/executions/${submitted.body.id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("execution_finished");
  });

  test("an execution canceled before its sandbox starts never runs its code", async () => {
    // The sandbox host answers the create slowly, so the cancel lands while the run is still starting.
    const { client } = await newKey();
    await fetch(`${inject("sandboxHostUrl")}/_local/faults`, {
      method: "POST",
      body: JSON.stringify({ createDelay: { ms: 3000, count: 1 } }),
    });
    const first = await client.request<Execution>("POST", "/v1/executions", { code: "print(1)" });
    const canceled = await client.request<Execution>("POST", `/v1/executions/${first.body.id}/cancel`);
    expect(canceled.status, JSON.stringify(canceled.body)).toBe(200);
    expect(canceled.body.status).toBe("canceled");
    const settled = await waitForSettled(client, first.body.id);
    expect(settled.status).toBe("canceled");
    expect(settled.result?.stdout ?? "").toBe("");
    await fetch(`${inject("sandboxHostUrl")}/_local/faults`, { method: "DELETE" });
  });
});

describe("cancel while queued", () => {
  test("an execution canceled while its sandbox is being created stays queued until then, costs nothing and never runs", async () => {
    // The claim comes only once the sandbox exists: a slow create leaves the execution queued.
    const { client } = await newKey();
    await fetch(`${inject("sandboxHostUrl")}/_local/faults`, {
      method: "POST",
      body: JSON.stringify({ createDelay: { ms: 2500, count: 1 } }),
    });
    const queued = await client.request<Execution>("POST", "/v1/executions", { code: "open('ran.txt', 'w').write('yes')" });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await client.getExecution(queued.body.id)).status).toBe("queued");
    const canceled = await client.request<Execution>("POST", `/v1/executions/${queued.body.id}/cancel`);
    expect(canceled.status, JSON.stringify(canceled.body)).toBe(200);
    expect(canceled.body).toMatchObject({ status: "canceled", started_at: null, cost_usd: "0.000000", result: null });
    // The sandbox arrives after the cancel: the claim finds nothing to run, and it is killed unused.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const after = await client.getExecution(queued.body.id);
    expect(after).toMatchObject({ status: "canceled", started_at: null, sandbox_ms: null, cost_usd: "0.000000" });
    expect(await sandboxesLeft(queued.body.id)).toEqual([]);
  });
});

/** A canceled execution is settled once its consumer has seen the sandbox die. */
async function waitForSettled(client: import("../../../client/client.js").RunledgerClient, id: string): Promise<Execution> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const current = (await client.request<Execution>("GET", `/v1/executions/${id}`)).body;
    if (current.cost_usd !== null) return current;
    if (Date.now() > deadline) throw new Error(`${id} was never settled: ${JSON.stringify(current)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
