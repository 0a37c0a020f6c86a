import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Sandboxes are real processes: on a 2-core machine, files in parallel only fight for CPU.
    fileParallelism: false,
    // One file at a time, in one group; the idle suite's group (2) runs after it.
    sequence: { groupOrder: 1 },
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      { extends: true, test: { name: "sandbox-host", include: ["test/integration/sandbox-host/**/*.test.ts"] } },
      { extends: true, test: { name: "local", include: ["test/integration/local/**/*.test.ts"] } },
      {
        extends: true,
        test: { name: "api", include: ["test/integration/api/**/*.test.ts"], globalSetup: ["test/integration/api/global-setup.ts"] },
      },
      {
        extends: true,
        test: {
          name: "capacity",
          include: ["test/integration/capacity/**/*.test.ts"],
          globalSetup: ["test/integration/capacity/global-setup.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "idle",
          // Its stack is watched for minutes from the start of the run while the others go; its
          // test reads the result, last.
          sequence: { groupOrder: 2 },
          include: ["test/integration/idle/**/*.test.ts"],
          globalSetup: ["test/integration/idle/global-setup.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "hostile",
          include: ["test/integration/hostile/**/*.test.ts"],
          globalSetup: ["test/integration/hostile/global-setup.ts"],
        },
      },
    ],
  },
});
