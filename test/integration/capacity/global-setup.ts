import type { TestProject } from "vitest/node";
import { setUpTestStack } from "../../support/test-stack.js";

/** The capacity suites' stack: a sandbox host that refuses a fourth sandbox, a governor of 3 slots, short leases. */
export const HOST_CAP = 3;

export default function setup(project: TestProject) {
  return setUpTestStack(project, {
    // The governor's order is what these tests read from start times: the fast kernel keeps a
    // sandbox's create time even, where building IPython in each would scatter it by a second.
    sandboxHostLimits: { maxSandboxes: HOST_CAP, pythonKernel: "fast" },
    workerVars: { MAX_SANDBOXES: String(HOST_CAP), SANDBOX_LEASE_MS: "3000" },
  });
}
