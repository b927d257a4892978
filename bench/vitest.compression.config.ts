/** `npm run bench:compression`: the pruning and distillation benchmark, run by vitest so it can load the TypeScript sources. Not a test. */
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: resolve(import.meta.dirname, '..'),
    include: ['bench/compression-bench.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 1_800_000,
    disableConsoleIntercept: true,
  },
});
