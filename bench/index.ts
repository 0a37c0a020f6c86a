import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { benchCapacity } from "./capacity.js";
import { benchEndToEnd } from "./end-to-end.js";
import { benchFleet } from "./fleet.js";
import { benchFrontDoor } from "./front-door.js";
import { benchIdle } from "./idle.js";
import { benchLive } from "./live.js";
import { benchReports } from "./reports.js";
import { benchSandboxHost } from "./sandbox-host.js";
import { printSummary } from "./summary.js";

// `npm run bench`: every scenario, each printing one table; `BENCH_ONLY=reports` runs one.
const scenarios: Record<string, () => Promise<Record<string, number>>> = {
  "front-door": benchFrontDoor,
  "end-to-end": benchEndToEnd,
  live: benchLive,
  "sandbox-host": benchSandboxHost,
  fleet: benchFleet,
  capacity: benchCapacity,
  idle: benchIdle,
  reports: benchReports,
};
const only = process.env.BENCH_ONLY?.split(",");
const results: Record<string, Record<string, number>> = {};
for (const [name, run] of Object.entries(scenarios)) {
  if (only && !only.includes(name)) continue;
  results[name] = await run();
}
printSummary(results);
mkdirSync("bench/results", { recursive: true });
const machine = {
  date: new Date().toISOString(),
  cores: cpus().length,
  memory_gib: Math.round(totalmem() / 2 ** 30),
  node: process.version,
};
writeFileSync("bench/results/latest.json", `${JSON.stringify({ machine, results }, null, 2)}\n`);
console.log("\nwritten to bench/results/latest.json");
