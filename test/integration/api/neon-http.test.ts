import { type NeonQueryFunction, neon, neonConfig, Pool } from "@neondatabase/serverless";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import ws from "ws";

// The local stack's SQL-over-HTTP endpoint, through the real driver's `neon()`: what a query and
// a transaction give must be what the same driver gives over a WebSocket connection to the same
// database, errors included.
let sql: NeonQueryFunction<false, false>;
let pool: Pool;

beforeAll(() => {
  neonConfig.webSocketConstructor = ws;
  neonConfig.fetchEndpoint = inject("neonHttpEndpoint");
  const proxy = inject("wsProxy");
  neonConfig.wsProxy = (host, port) => `${proxy}?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  sql = neon(inject("databaseUrl"));
  pool = new Pool({ connectionString: inject("databaseUrl") });
});
afterAll(() => pool.end());

const TYPED = `select 1::int as i, 9007199254740993::bigint as big, 1.50::numeric as n, 2.5::float8 as f, true as b, null::text as nothing,
  'text with ''quotes'' and é'::text as t, '2026-12-02T10:00:00.123Z'::timestamptz as at, '{"a":[1,{"b":null}]}'::jsonb as j,
  array[1,2,3]::int[] as ints, array['a',null,'c d']::text[] as texts, '\\xdeadbeef'::bytea as bytes`;

test("one query: every common type parsed as over a WebSocket connection", async () => {
  const overHttp = await sql.query(TYPED);
  const overWebSocket = (await pool.query(TYPED)).rows;
  expect(overHttp).toEqual(overWebSocket);
  expect(overHttp[0]).toMatchObject({ i: 1, big: "9007199254740993", b: true, nothing: null, j: { a: [1, { b: null }] } });
});

test("parameters of each kind, and full results with command and row count", async () => {
  const rows = await sql.query("select $1::text as s, $2::int as i, $3::jsonb as j, $4::int[] as a, $5::text as n, $6::timestamptz as d", [
    "x'y",
    42,
    { k: "v" },
    [1, 2],
    null,
    new Date("2026-01-02T03:04:05Z"),
  ]);
  expect(rows[0]).toEqual({ s: "x'y", i: 42, j: { k: "v" }, a: [1, 2], n: null, d: new Date("2026-01-02T03:04:05Z") });
  const full = await sql.query("select generate_series(1, 3) as g", [], { fullResults: true });
  expect(full).toMatchObject({ command: "SELECT", rowCount: 3, rows: [{ g: 1 }, { g: 2 }, { g: 3 }] });
  expect(full.fields.map((f) => [f.name, f.dataTypeID])).toEqual([["g", 23]]);
});

test("a transaction commits as one, and rolls back as one on an error that keeps its Postgres fields", async () => {
  const table = `http_probe_${Date.now()}`;
  await sql.query(`create table ${table} (id int primary key)`);
  try {
    const [, counted] = await sql.transaction([
      sql.query(`insert into ${table} values (1), (2)`),
      sql.query(`select count(*)::int as n from ${table}`),
    ]);
    expect(counted).toEqual([{ n: 2 }]);
    const failure = await sql
      .transaction([sql.query(`insert into ${table} values (3)`), sql.query(`insert into ${table} values (1)`)])
      .catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: "NeonDbError", code: "23505", table, constraint: `${table}_pkey` });
    expect(await sql.query(`select count(*)::int as n from ${table}`)).toEqual([{ n: 2 }]);
    const readOnly = await sql.transaction([sql.query(`insert into ${table} values (9)`)], { readOnly: true }).catch((e: unknown) => e);
    expect(readOnly).toMatchObject({ code: "25006" });
  } finally {
    await sql.query(`drop table ${table}`);
  }
});

test("a syntax error is 400 with the SQLSTATE; another database is refused", async () => {
  const failure = await sql.query("selec 1").catch((e: unknown) => e);
  expect(failure).toMatchObject({ name: "NeonDbError", code: "42601" });
  const other = new URL(inject("databaseUrl"));
  other.pathname = "/postgres";
  const refused = await neon(other.toString())
    .query("select 1")
    .catch((e: unknown) => e);
  expect(refused).toMatchObject({ name: "NeonDbError" });
});
