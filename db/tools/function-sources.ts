import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Where the SQL sources of the ledger's functions live: one `CREATE OR REPLACE FUNCTION` a file. */
export const FUNCTIONS_DIR = fileURLToPath(new URL("../functions", import.meta.url));
export const MIGRATIONS_DIR = fileURLToPath(new URL("../migrations", import.meta.url));
const BREAKPOINT = "--> statement-breakpoint";

/** Each function's source, by name (the file's name). */
export function readFunctionSources(dir = FUNCTIONS_DIR): Map<string, string> {
  const sources = new Map<string, string>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()) {
    sources.set(basename(file, ".sql"), readFileSync(join(dir, file), "utf8").trim());
  }
  return sources;
}

/** Each function's definition as the migrations, applied in order, leave it. */
export function definitionsInMigrations(dir = MIGRATIONS_DIR): Map<string, string> {
  const journal = JSON.parse(readFileSync(join(dir, "meta", "_journal.json"), "utf8")) as { entries: Array<{ tag: string }> };
  const latest = new Map<string, string>();
  for (const { tag } of journal.entries) {
    for (const statement of readFileSync(join(dir, `${tag}.sql`), "utf8").split(BREAKPOINT)) {
      const name = definedFunction(statement);
      if (name) latest.set(name, statement.trim());
      const dropped = droppedFunction(statement);
      if (dropped) latest.delete(dropped);
    }
  }
  return latest;
}

/** The body between the dollar quotes: what Postgres keeps as `pg_proc.prosrc`. */
export function functionBody(source: string): string {
  const match = /AS\s+(\$[A-Za-z_]*\$)([\s\S]*)\1/.exec(source);
  if (!match?.[2]) throw new Error("no dollar-quoted body in the function's source");
  return match[2];
}

function droppedFunction(statement: string): string | null {
  return /DROP\s+FUNCTION\s+(?:IF\s+EXISTS\s+)?([a-z_][a-z0-9_]*)\s*\(/i.exec(statement)?.[1] ?? null;
}

/** A definition's argument types, as `DROP FUNCTION` names them: `text, timestamptz`. */
export function argumentTypes(source: string): string {
  const args = /FUNCTION\s+[a-z_][a-z0-9_]*\s*\(([\s\S]*?)\)\s*RETURNS/i.exec(source)?.[1] ?? "";
  return args
    .replace(/--[^\n]*/g, "")
    .split(",")
    .map((arg) =>
      arg
        .trim()
        .replace(/\s+DEFAULT\s[\s\S]*$/i, "")
        .split(/\s+/)
        .slice(1)
        .join(" "),
    )
    .filter(Boolean)
    .join(", ");
}

export function definedFunction(statement: string): string | null {
  return /CREATE\s+OR\s+REPLACE\s+FUNCTION\s+([a-z_][a-z0-9_]*)\s*\(/i.exec(statement)?.[1] ?? null;
}

export { BREAKPOINT };
