import type { TestProject } from "vitest/node";
import { setUpTestStack } from "../../support/test-stack.js";

/** The whole local stack once for the API suites, its webhook schedule and reaper's grace compressed. */
export default function setup(project: TestProject) {
  return setUpTestStack(project, {
    sandboxHostFaults: true,
    // Real hours compressed to seconds: the schedule's shape is tested, not its length.
    workerVars: { WEBHOOK_RETRY_SCHEDULE: "1,1,1,1,1,1,1", WEBHOOK_TIMEOUT_MS: "1500", REAPER_GRACE_MS: "3000" },
  });
}
