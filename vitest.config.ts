import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // vitest runs cores - 1 files at once: one on a 2-core machine, where most files spend
    // their time waiting on the processes they start (tsx, workers, Chromium), on Redis or on
    // timers, with a core idle. Two at a time keep both cores busy.
    maxWorkers: Math.max(2, availableParallelism()),
    // The run's Redis database and key prefix, and the check that it left nothing behind.
    globalSetup: ["test/redis-setup.ts"],
    typecheck: {
      enabled: true,
      include: ["test/types/**/*.test-d.ts"],
      // The type tests and all of src/; `npm run lint` type-checks everything else (tests,
      // bench, examples), so the test run does not check those a second time.
      tsconfig: "./test/types/tsconfig.json",
    },
    testTimeout: 30_000,
  },
});
