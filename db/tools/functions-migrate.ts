import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { argumentTypes, BREAKPOINT, definitionsInMigrations, MIGRATIONS_DIR, readFunctionSources } from "./function-sources.js";

// `npm run db:functions`: every source in db/functions/ that differs from the definition the
// migrations last applied goes into a new migration, made by drizzle-kit as a custom migration so
// that its journal and snapshots stay drizzle's own. A function whose arguments changed is dropped
// first (CREATE OR REPLACE would add an overload); one whose source is gone is dropped.
const applied = definitionsInMigrations();
const sources = readFunctionSources();
const drop = (name: string, definition: string) => `DROP FUNCTION IF EXISTS ${name}(${argumentTypes(definition)});`;
const statements: string[] = [];
const touched: string[] = [];
for (const [name, definition] of applied) {
  if (sources.has(name)) continue;
  statements.push(drop(name, definition));
  touched.push(name);
}
for (const [name, source] of sources) {
  const before = applied.get(name);
  if (before === source) continue;
  if (before !== undefined && argumentTypes(before) !== argumentTypes(source)) statements.push(drop(name, before));
  statements.push(source);
  touched.push(name);
}
const changed = touched.map((name) => [name] as const);
if (changed.length === 0) {
  console.log("every function in db/functions/ is as the migrations leave it");
  process.exit(0);
}
const short = changed.map(([n]) => n.replace(/^runledger_/, ""));
const name = short.length <= 2 ? `functions_${short.join("_")}` : `functions_${short.slice(0, 2).join("_")}_and_${short.length - 2}_more`;
const generated = spawnSync("npx", ["drizzle-kit", "generate", "--custom", `--name=${name}`], { stdio: "inherit" });
if (generated.status !== 0) process.exit(generated.status ?? 1);
const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, "meta", "_journal.json"), "utf8")) as { entries: Array<{ tag: string }> };
const tag = journal.entries.at(-1)?.tag;
if (!tag?.endsWith(name)) throw new Error(`drizzle-kit did not create the migration ${name}`);
writeFileSync(join(MIGRATIONS_DIR, `${tag}.sql`), `${statements.join(`\n${BREAKPOINT}\n`)}\n`);
console.log(`${tag}.sql: ${changed.map(([n]) => n).join(", ")}`);
