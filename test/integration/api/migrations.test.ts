import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { neonConfig } from "@neondatabase/serverless";
import { sql } from "drizzle-orm";
import { migrate } from "drizzle-orm/neon-serverless/migrator";
import { afterAll, beforeAll, expect, test } from "vitest";
import ws from "ws";
import { createDatabase, type DatabaseHandle } from "../../../db/client.js";
import { type NeonProxy, startNeonProxy } from "../../../local/neon-proxy.js";
import { freePort } from "../../../local/ports.js";
import { type LocalPostgres, startLocalPostgres } from "../../../local/postgres.js";

// The outbox migration carries a ledger over: a database at the schema before it, with webhooks
// in every state (one of them the lost kind: a canceled run's, pending with no due time), is
// migrated, and every one of them is in the outbox with its id, state and attempts.
const MIGRATIONS = fileURLToPath(new URL("../../../db/migrations", import.meta.url));
const BEFORE_OUTBOX = "0007_functions_submit";

let dir: string;
let postgres: LocalPostgres;
let proxy: NeonProxy;
let handle: DatabaseHandle;
const folders: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "runledger-migrations-"));
  postgres = await startLocalPostgres(dir, await freePort());
  proxy = await startNeonProxy({ databaseUrl: postgres.url });
  neonConfig.webSocketConstructor = ws;
  handle = createDatabase({ databaseUrl: postgres.url, wsProxy: proxy.address });
}, 120_000);

afterAll(async () => {
  await handle?.close();
  await proxy?.close();
  await postgres?.stop();
  for (const folder of [dir, ...folders]) rmSync(folder, { recursive: true, force: true });
});

/** The migrations folder as it was up to and including `tag`. */
function migrationsUpTo(tag: string): string {
  const folder = mkdtempSync(join(tmpdir(), "runledger-migrations-before-"));
  folders.push(folder);
  cpSync(MIGRATIONS, folder, { recursive: true });
  const journalFile = join(folder, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: Array<{ tag: string }> };
  const last = journal.entries.findIndex((entry) => entry.tag === tag);
  journal.entries = journal.entries.slice(0, last + 1);
  writeFileSync(journalFile, JSON.stringify(journal));
  return folder;
}

test("every webhook owed or given before the outbox is in it after the migration", async () => {
  const { db } = handle;
  await migrate(db, { migrationsFolder: migrationsUpTo(BEFORE_OUTBOX) });
  await db.execute(sql`insert into keys (id, name, secret_ciphertext, webhook_secret_ciphertext, budget_micros, budget_period,
    max_timeout_ms, max_concurrency, created_at) values ('key_old', 'old', 'v1.a.b', 'v1.a.b', 1000000, 'day', 300000, 10, now())`);
  const execution = (id: string, status: string, webhook: string | null, attempts: number, nextAt: string | null, finished: boolean) =>
    db.execute(sql`insert into executions (id, key_id, status, language, template, timeout_ms, code, env, files, metadata, webhook_url,
      created_at, finished_at, period_start, rate_picos_per_second, reserved_micros, cost_micros, settled_at, webhook_status,
      webhook_attempts, webhook_message_id, webhook_next_attempt_at)
      values (${id}, 'key_old', ${status}, 'python', 'code-interpreter-v1', 1000, '1', '{}', '[]', '{}', 'https://hooks.example.com/in',
      now() - interval '1 hour', ${finished ? sql`now() - interval '30 minutes'` : null}, now(), 37000000, 100, ${finished ? 37 : null},
      ${finished ? sql`now()` : null}, ${webhook}, ${attempts}, ${`msg_${id}`}, ${nextAt === null ? null : sql`now() + ${nextAt}::interval`})`);
  await execution("delivered", "succeeded", "delivered", 1, null, true);
  await execution("failed", "failed", "failed", 8, null, true);
  await execution("retrying", "timed_out", "pending", 2, "5 minutes", true);
  await execution("lost", "canceled", "pending", 0, null, true);
  await execution("running", "running", "pending", 0, null, false);
  await db.execute(sql`insert into webhook_deliveries (execution_id, attempt, at, status_code, error, duration_ms)
    values ('delivered', 1, now(), 200, null, 12), ('retrying', 1, now(), 500, null, 9), ('retrying', 2, now(), 503, null, 8)`);

  await migrate(db, { migrationsFolder: MIGRATIONS });

  const events = await db.execute<{ id: string; execution_id: string; status: string; attempts: number; due: boolean | null }>(
    sql`select id, execution_id, status, attempts, next_attempt_at <= now() as due from events order by execution_id`,
  );
  expect(events.rows).toEqual([
    { id: "msg_delivered", execution_id: "delivered", status: "delivered", attempts: 1, due: null },
    { id: "msg_failed", execution_id: "failed", status: "failed", attempts: 8, due: null },
    { id: "msg_lost", execution_id: "lost", status: "pending", attempts: 0, due: true },
    { id: "msg_retrying", execution_id: "retrying", status: "pending", attempts: 2, due: false },
  ]);
  const attempts = await db.execute<{ event_id: string; attempt: number }>(
    sql`select event_id, attempt from webhook_deliveries order by event_id, attempt`,
  );
  expect(attempts.rows).toEqual([
    { event_id: "msg_delivered", attempt: 1 },
    { event_id: "msg_retrying", attempt: 1 },
    { event_id: "msg_retrying", attempt: 2 },
  ]);
  // The running one owes its event when it finishes, under the new functions.
  const finished = await db.execute(
    sql`select * from runledger_finish('running', ${JSON.stringify({
      status: "succeeded",
      finished_at: new Date().toISOString(),
      duration_ms: 1,
      sandbox_ms: 1000,
      cost_micros: "37",
      result: null,
    })}::jsonb)`,
  );
  expect(finished.rows).toHaveLength(1);
  const owed = await db.execute<{ n: number }>(sql`select count(*)::int as n from events where execution_id = 'running'`);
  expect(owed.rows[0]?.n).toBe(1);
}, 60_000);
