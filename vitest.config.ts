import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Sandboxes are real processes: on a 2-core machine, files in parallel only fight for CPU.
    fileParallelism: false,
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      { extends: true, test: { name: "sandbox-host", include: ["test/integration/sandbox-host/**/*.test.ts"] } },
      { extends: true, test: { name: "local", include: ["test/integration/local/**/*.test.ts"] } },
      {
        extends: true,
        test: { name: "api", include: ["test/integration/api/**/*.test.ts"], globalSetup: ["test/integration/api/global-setup.ts"] },
      },
    ],
  },
});
