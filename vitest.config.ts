import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'contract/**/*.test.ts',
            'base/**/*.test.ts',
            'docs/**/*.test.ts',
            'main/**/*.test.ts',
            'ml/**/*.test.ts',
            'preload/**/*.test.ts',
            'eslint-rules/**/*.test.js',
          ],
          environment: 'node',
          // A guard against hangs, not a speed check: under the full suite on two cores the
          // heavier kernel oracles (a 4×16×16×32 convolution's gradients on the cpu backend,
          // 1.3 s alone) have run past vitest's 5 s default.
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'renderer',
          include: ['renderer/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // One Chromium at a time: the machine has two cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
