import { neonConfig, type Pool } from "@neondatabase/serverless";
import ws from "ws";
import { createDatabase } from "../../../db/client.js";

/** The Neon driver's Pool exactly as the Worker builds it (db/client.ts), through the proxy at `wsProxy`. */
export function workerPool(databaseUrl: string, wsProxy: string): Pool {
  neonConfig.webSocketConstructor = ws;
  return createDatabase({ databaseUrl, wsProxy }).db.$client;
}

/** The SQLSTATE a query fails with, or "ok". */
export async function sqlState(pool: Pool, sql: string): Promise<string> {
  try {
    await pool.query(sql);
    return "ok";
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

/** `sql`'s first row, as the driver returns it. */
export async function firstRow<T>(pool: Pool, sql: string): Promise<T> {
  const result = await pool.query(sql);
  return result.rows[0] as T;
}
