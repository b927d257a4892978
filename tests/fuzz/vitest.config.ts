/** `npm run fuzz`: the import fuzz at full size (tests/fuzz/run-fuzz.ts), run by vitest so it loads the TypeScript sources. */
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: resolve(import.meta.dirname, '../..'),
    include: ['tests/fuzz/run-fuzz.ts'],
    testTimeout: 24 * 3_600_000,
    hookTimeout: 600_000,
    // The table goes straight to the terminal, not into vitest's per-test log.
    disableConsoleIntercept: true,
  },
});
