import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Client, type ClientConfig, type DatabaseError, Pool, type PoolClient, type QueryResult } from "@neondatabase/serverless";
import ws from "ws";

export interface NeonHttpEndpoint {
  /** The value for the Worker's NEON_HTTP_ENDPOINT: `http://127.0.0.1:PORT/sql`. */
  url: string;
  /** Statements run for clients so far. */
  statements(): number;
  close(): Promise<void>;
}

interface QueryData {
  query: string;
  params?: unknown[];
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const ISOLATION_LEVELS: Record<string, string> = {
  Serializable: "SERIALIZABLE",
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
};
const RAW_TEXT = { getTypeParser: () => (value: string) => value };

/**
 * The piece of Neon's edge that the serverless driver's `neon()` (SQL over HTTP) needs, for a
 * Postgres that is not Neon: `POST /sql` with the connection string in `Neon-Connection-String`,
 * one query (`{query, params}`) or a batch run in one transaction (`{queries: [...]}`, with the
 * `Neon-Batch-*` options), answered as Neon answers (rows as arrays of text, `fields`, `command`,
 * `rowCount`; a Postgres error as 400 with its fields). Connections are pooled per connection
 * string, as Neon's proxy keeps them, and reached through the WebSocket proxy `wsProxy`, so the
 * login is the database's own. Only the database `databaseUrl` names is served.
 */
export async function startNeonHttpEndpoint(options: { databaseUrl: string; wsProxy: string; port?: number }): Promise<NeonHttpEndpoint> {
  const served = new URL(options.databaseUrl);
  const pools = new Map<string, Pool>();
  let statements = 0;
  // Configured per connection, not globally: one process may run several stacks (the tests do).
  const proxy = options.wsProxy;
  class ProxiedClient extends Client {
    constructor(config?: string | ClientConfig) {
      super(config);
      const settings = this.neonConfig;
      settings.webSocketConstructor = ws;
      settings.wsProxy = (host, port) => `${proxy}?address=${host}:${port}`;
      settings.useSecureWebSocket = false;
      settings.pipelineTLS = false;
      settings.pipelineConnect = "password";
    }
  }

  const poolFor = (connectionString: string): Pool => {
    let pool = pools.get(connectionString);
    if (!pool) {
      pool = new Pool({ connectionString, max: 64, idleTimeoutMillis: 30_000 });
      // Neon's Pool sets its own Client class after taking the options, so the option would be lost.
      (pool as unknown as { Client: typeof Client }).Client = ProxiedClient;
      pool.on("error", () => {});
      pools.set(connectionString, pool);
    }
    return pool;
  };

  const run = async (client: Pool | PoolClient, data: QueryData) => {
    statements += 1;
    const result = await client.query({ text: data.query, values: (data.params ?? []).map(param), rowMode: "array", types: RAW_TEXT });
    return answer(result);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "POST" || new URL(req.url ?? "/", "http://x").pathname !== "/sql") {
      return send(res, 404, { msg: "not found" });
    }
    const connectionString = req.headers["neon-connection-string"];
    const target = typeof connectionString === "string" ? parseUrl(connectionString) : null;
    if (!target || !["postgres:", "postgresql:"].includes(target.protocol) || !target.username || target.pathname.length < 2) {
      return send(res, 400, { message: "invalid connection string", code: "08001" });
    }
    if (target.hostname !== served.hostname || target.port !== served.port || target.pathname !== served.pathname) {
      return send(res, 400, { message: "this endpoint serves one database", code: "08004" });
    }
    const payload = JSON.parse(await readBody(req)) as QueryData | { queries: QueryData[] };
    const pool = poolFor(connectionString as string);
    if (!("queries" in payload)) return send(res, 200, await run(pool, payload));

    const level = req.headers["neon-batch-isolation-level"];
    if (typeof level === "string" && !ISOLATION_LEVELS[level]) return send(res, 400, { message: "invalid isolation level" });
    const begin = [
      "BEGIN",
      typeof level === "string" ? `ISOLATION LEVEL ${ISOLATION_LEVELS[level]}` : "",
      req.headers["neon-batch-read-only"] === "true" ? "READ ONLY" : "",
      req.headers["neon-batch-deferrable"] === "true" ? "DEFERRABLE" : "",
    ].join(" ");
    const client = await pool.connect();
    try {
      await client.query(begin.trim());
      const results = [];
      for (const query of payload.queries) results.push(await run(client, query));
      await client.query("COMMIT");
      for (const name of ["neon-batch-isolation-level", "neon-batch-read-only", "neon-batch-deferrable"]) {
        const value = req.headers[name];
        if (typeof value === "string") res.setHeader(name, value);
      }
      send(res, 200, { results });
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      send(res, 400, errorBody(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/sql`,
    statements: () => statements,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await Promise.all([...pools.values()].map((pool) => pool.end().catch(() => {})));
    },
  };
}

/** A parameter as Neon's proxy takes it: strings as they are, other JSON as its text, arrays as Postgres array literals. */
function param(value: unknown): unknown {
  if (value === null || value === undefined || typeof value === "string") return value ?? null;
  if (Array.isArray(value)) return `{${value.map((item) => (item === null ? "NULL" : JSON.stringify(String(param(item))))).join(",")}}`;
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function answer(result: QueryResult) {
  return {
    rowAsArray: true,
    fields: result.fields.map((f) => ({
      name: f.name,
      dataTypeID: f.dataTypeID,
      tableID: f.tableID,
      columnID: f.columnID,
      dataTypeSize: f.dataTypeSize,
      dataTypeModifier: f.dataTypeModifier,
      format: "text",
    })),
    rows: result.rows,
    command: result.command,
    rowCount: result.rowCount ?? null,
  };
}

/** A Postgres error with its fields, as Neon's proxy sends it; a failure to connect as a connection error. */
function errorBody(error: unknown): Record<string, unknown> {
  const db = error as Partial<DatabaseError> & { message?: string };
  const fields = ["severity", "code", "detail", "hint", "position", "internalPosition", "internalQuery", "where", "schema", "table"];
  const more = ["column", "dataType", "constraint", "file", "line", "routine"];
  const body: Record<string, unknown> = { message: db.message ?? String(error) };
  for (const name of [...fields, ...more]) body[name] = (db as Record<string, unknown>)[name] ?? null;
  // Not a Postgres error: the database could not be reached.
  if (!body.code) body.code = "08006";
  return body;
}

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error("request is too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
