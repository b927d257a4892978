import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { memoryLogger } from '../logger';
import { DecodePool } from './decode-pool';

/** What the pool's loadSharp does: loads nothing by default; a test may hold it back or make it fail. */
const sharp = vi.hoisted(() => ({ load: (): Promise<unknown> => Promise.resolve({}) }));
vi.mock('../../../ml/decode/sharp-module', () => ({ loadSharp: () => sharp.load() }));
afterEach(() => {
  sharp.load = () => Promise.resolve({});
});

/**
 * A stand-in decode worker speaking the real protocol: it hangs on "/stuck", exits on "/crash",
 * fills its heap on "/heap" (as a parser building millions of objects would), and answers
 * anything else at once. It lets the test reach the pool's time cap and crash paths.
 */
const WORKER = `
import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m.path === '/stuck') for (;;) {}
  if (m.path === '/crash') process.exit(3);
  if (m.path === '/heap') { const kept = []; for (;;) kept.push({ at: kept.length, text: 'x'.repeat(64) + kept.length }); }
  parentPort.postMessage({ type: 'hashed', id: m.id, sha256: 'a'.repeat(64), size: m.path.length });
});
`;

let dir: string;
let entry: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-pool-'));
  entry = path.join(dir, 'worker.mjs');
  writeFileSync(entry, WORKER);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('DecodePool', () => {
  it('stops a worker that runs past the time cap, reports a timeout, and carries on with a fresh worker', async () => {
    const log = memoryLogger();
    const pool = new DecodePool({ entry, size: 1, timeCapMs: 300, log });
    try {
      const stuck = pool.hash('/stuck');
      const next = pool.hash('/next');
      await expect(stuck).rejects.toMatchObject({ name: 'DecodeError', failure: 'timeout' });
      await expect(next).resolves.toEqual({ sha256: 'a'.repeat(64), size: 5 });
    } finally {
      await pool.close();
    }
  });

  it('fails the file whose worker died and replaces the worker', async () => {
    const pool = new DecodePool({ entry, size: 1, log: memoryLogger() });
    try {
      await expect(pool.hash('/crash')).rejects.toMatchObject({
        failure: 'internal',
        message: expect.stringContaining('exit code 3'),
      });
      await expect(pool.hash('/fine')).resolves.toMatchObject({ size: 5 });
    } finally {
      await pool.close();
    }
  });

  it('names a file whose decoding ran out of the worker heap, and carries on with a fresh worker', async () => {
    const SMALL_HEAP_MB = 16;
    const pool = new DecodePool({ entry, size: 1, heapMb: SMALL_HEAP_MB, log: memoryLogger() });
    try {
      await expect(pool.hash('/heap')).rejects.toMatchObject({
        failure: 'too-large',
        message: `Decoding this file needed more than the decoder's ${SMALL_HEAP_MB} MiB of working memory; it was skipped.`,
      });
      await expect(pool.hash('/fine')).resolves.toMatchObject({ size: 5 });
    } finally {
      await pool.close();
    }
  });

  it('runs tasks side by side up to its size', async () => {
    const pool = new DecodePool({ entry, size: 3, log: memoryLogger() });
    try {
      const results = await Promise.all(['/a', '/bb', '/ccc', '/dddd', '/eeeee'].map((p) => pool.hash(p)));
      expect(results.map((r) => r.size)).toEqual([2, 3, 4, 5, 6]);
    } finally {
      await pool.close();
    }
  });

  it('gives no worker a task before this thread has loaded sharp (sharp on glibc Linux asks it)', async () => {
    let release = (): void => {};
    sharp.load = () => new Promise((resolve) => (release = () => resolve({})));
    const pool = new DecodePool({ entry, size: 2, log: memoryLogger() });
    try {
      let answered = false;
      const read = pool.hash('/ab').then((r) => ((answered = true), r));
      // The stand-in worker answers within milliseconds of a task; none may reach it yet.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(answered).toBe(false);
      release();
      await expect(read).resolves.toEqual({ sha256: 'a'.repeat(64), size: 3 });
    } finally {
      await pool.close();
    }
  });

  it('logs a sharp that fails to load and goes on: DICOM and the PNGs png.ts reads need no sharp', async () => {
    sharp.load = () => Promise.reject(new Error('libvips missing'));
    const log = memoryLogger();
    const pool = new DecodePool({ entry, size: 1, log });
    try {
      await expect(pool.hash('/fine')).resolves.toMatchObject({ size: 5 });
      expect(log.lines).toContain('error the image library (sharp) failed to load: libvips missing');
    } finally {
      await pool.close();
    }
  });
});
