import { startVitest } from "vitest/node";
import { checkLocalPostgres } from "../local/postgres.js";

// `npm test`: vitest, with an exit status that reflects the run. The local stack's libraries
// (Miniflare, wrangler) hook process exit, and vitest's own failing exit code was lost on the way.
interface TaskLike {
  type: string;
  mode?: string;
  result?: { state?: string };
  tasks?: TaskLike[];
}

function tests(tasks: TaskLike[]): TaskLike[] {
  return tasks.flatMap((task) => (task.type === "test" ? [task] : tests(task.tasks ?? [])));
}

// The suites start embedded Postgres clusters of their own: when none can start here, say why in
// one line rather than in every suite's set-up.
try {
  await checkLocalPostgres();
} catch (error) {
  console.error(`npm test cannot run: ${(error as Error).message}`);
  process.exit(1);
}

const vitest = await startVitest("test", process.argv.slice(2), { run: true, watch: false });
const files = (vitest?.state.getFiles() ?? []) as unknown as TaskLike[];
const all = tests(files);
const failed = all.filter((t) => t.result?.state === "fail").length;
const passed = all.filter((t) => t.result?.state === "pass").length;
const skipped = all.length - failed - passed;
const broken = !vitest || files.some((f) => f.result?.state === "fail") || vitest.state.getUnhandledErrors().length > 0;
await vitest?.close();
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || broken ? 1 : 0);
