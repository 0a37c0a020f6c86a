import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Sandboxes are real processes: on a 2-core machine, files in parallel only fight for CPU.
    fileParallelism: false,
  },
});
