import { sql } from "drizzle-orm";
import { expect, test } from "vitest";
import { loadExecution, purgeExpiredInputs } from "../../../functions/ledger/index.js";
import { newKey, openDatabase, run } from "./harness.js";

// What callers pass a run (env is where credentials go) is sealed at rest, and the code and
// inputs of a finished execution are erased after the retention period; its figures stay.
test("env and file contents are stored sealed, and still reach the code", async () => {
  const { client } = await newKey();
  const execution = await run(client, {
    code: "import os\nprint(os.environ['API_TOKEN'][::-1], open('creds.txt').read()[::-1])",
    env: { API_TOKEN: "env-plaintext-4711" },
    files: [{ path: "creds.txt", content: "file-plaintext-0815" }],
  });
  expect(execution.status, JSON.stringify(execution)).toBe("succeeded");
  expect(execution.result?.stdout).toBe("1174-txetnialp-vne 5180-txetnialp-elif\n");
  const { db, close } = openDatabase();
  try {
    const stored = await db.execute<{ row: string; env: unknown; files: unknown; sealed: string }>(
      sql`select row_to_json(e)::text as row, env, files, inputs_ciphertext as sealed from executions e where id = ${execution.id}`,
    );
    const [row] = stored.rows;
    expect(row?.env).toEqual({});
    expect(row?.files).toEqual([]);
    expect(row?.sealed).toMatch(/^v1\./);
    expect(row?.row).not.toContain("env-plaintext-4711");
    expect(row?.row).not.toContain("file-plaintext-0815");
  } finally {
    await close();
  }
});

test("after the retention period the code and inputs are erased, and every figure stays", async () => {
  const { client } = await newKey();
  const execution = await run(client, { code: "print('kept for a while')", env: { TOKEN: "t" } });
  expect(execution.status).toBe("succeeded");
  const { db, close } = openDatabase();
  try {
    const retention = 30 * 24 * 60 * 60 * 1000;
    const finishedAt = new Date(execution.finished_at as string).getTime();
    const at = (ms: number) => ({ db, clock: { now: () => new Date(ms) } });
    await purgeExpiredInputs(at(finishedAt + retention - 60_000), retention);
    expect((await loadExecution({ db }, execution.id))?.inputsPurgedAt).toBeNull();
    await purgeExpiredInputs(at(finishedAt + retention + 60_000), retention);
    const purged = await loadExecution({ db }, execution.id);
    expect(purged?.code).toBe("");
    expect(purged?.inputsCiphertext).toBeNull();
    expect(purged?.inputsPurgedAt).not.toBeNull();
    const after = await client.getExecution(execution.id);
    expect(after).toEqual(execution);
  } finally {
    await close();
  }
});
