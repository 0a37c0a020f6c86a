import { fileURLToPath } from "node:url";
import { neonConfig } from "@neondatabase/serverless";
import { migrate } from "drizzle-orm/neon-serverless/migrator";
import ws from "ws";
import { createDatabase } from "../db/client.js";

const MIGRATIONS = fileURLToPath(new URL("../db/migrations", import.meta.url));

/** Applies the committed migrations through the same driver the Worker uses. */
export async function applyMigrations(databaseUrl: string, wsProxy?: string): Promise<void> {
  neonConfig.webSocketConstructor = ws;
  const { db, close } = createDatabase({ databaseUrl, wsProxy });
  try {
    await migrate(db, { migrationsFolder: MIGRATIONS });
  } finally {
    await close();
  }
}

/**
 * Neon's pooled endpoint (PgBouncer in transaction mode) is for the Worker; a migration's DDL and
 * its session belong on the direct one. Returns why a URL is refused, if it is.
 */
export function pooledEndpointProblem(databaseUrl: string): string | null {
  const host = new URL(databaseUrl).hostname;
  if (!/-pooler\./.test(host)) return null;
  return `${host} is Neon's pooled endpoint: migrate through the direct one (the same host without "-pooler")`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error("set DATABASE_URL to the Postgres to migrate (for Neon, its direct connection string)");
    process.exit(1);
  }
  const problem = pooledEndpointProblem(url);
  if (problem) {
    console.error(problem);
    process.exit(1);
  }
  await applyMigrations(url, process.env.NEON_WS_PROXY || undefined);
  console.log("migrations applied");
}
