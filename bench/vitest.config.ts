/** `npm run bench:import`: the import benchmark, run by vitest so it can load the TypeScript sources. Not a test. */
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: resolve(import.meta.dirname, '..'),
    include: ['bench/import-bench.ts'],
    testTimeout: 900_000,
    hookTimeout: 900_000,
    // The table goes straight to the terminal, not into vitest's per-test log.
    disableConsoleIntercept: true,
  },
});
