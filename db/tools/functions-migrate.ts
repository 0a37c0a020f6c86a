import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BREAKPOINT, definitionsInMigrations, MIGRATIONS_DIR, readFunctionSources } from "./function-sources.js";

// `npm run db:functions`: every source in db/functions/ that differs from the definition the
// migrations last applied goes into a new migration, made by drizzle-kit as a custom migration so
// that its journal and snapshots stay drizzle's own.
const applied = definitionsInMigrations();
const changed = [...readFunctionSources()].filter(([name, source]) => applied.get(name) !== source);
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
writeFileSync(join(MIGRATIONS_DIR, `${tag}.sql`), `${changed.map(([, source]) => source).join(`\n${BREAKPOINT}\n`)}\n`);
console.log(`${tag}.sql: ${changed.map(([n]) => n).join(", ")}`);
