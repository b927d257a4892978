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
 * anything else at once. It lets the test reach the pool's time cap and crash paths. On "/slow" it
 * works 200 ms, then answers size 1 if the next task is already waiting in its port (0 if not).
 * An inspect's frame count is 1 + the tasks that reached it between "inspect" and "proceed".
 */
const WORKER = `
import { parentPort, receiveMessageOnPort } from 'node:worker_threads';
const answer = (m, size) => parentPort.postMessage({ type: 'hashed', id: m.id, sha256: 'a'.repeat(64), size });
let sinceInspect = 0;
function handle(m) {
  if (m.type === 'inspect') return (sinceInspect = 0), answer(m, 1);
  if (m.type === 'proceed') return parentPort.postMessage({ type: 'inspected', id: m.id, info: { frames: 1 + sinceInspect } });
  sinceInspect++;
  if (m.path === '/stuck') for (;;) {}
  if (m.path === '/crash') process.exit(3);
  if (m.path === '/heap') { const kept = []; for (;;) kept.push({ at: kept.length, text: 'x'.repeat(64) + kept.length }); }
  if (m.path !== '/slow') return answer(m, m.path.length);
  for (const until = Date.now() + 200; Date.now() < until; );
  const next = receiveMessageOnPort(parentPort);
  answer(m, next ? 1 : 0);
  if (next) handle(next.message);
}
parentPort.on('message', handle);
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

  it('fails the file whose worker died, replaces the worker, and gives it the task that waited behind', async () => {
    const pool = new DecodePool({ entry, size: 1, log: memoryLogger() });
    try {
      const crash = pool.hash('/crash');
      const behind = pool.hash('/fine');
      await expect(crash).rejects.toMatchObject({
        failure: 'internal',
        message: expect.stringContaining('exit code 3'),
      });
      await expect(behind).resolves.toMatchObject({ size: 5 });
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

  it('gives a busy worker its next task before it answers, when every worker is busy', async () => {
    const pool = new DecodePool({ entry, size: 1, log: memoryLogger() });
    try {
      const [slow, next] = await Promise.all([pool.hash('/slow'), pool.hash('/next')]);
      expect(slow.size).toBe(1);
      expect(next.size).toBe(5);
    } finally {
      await pool.close();
    }
  });

  it('queues nothing behind an inspect, whose worker waits mid-task for this thread', async () => {
    const pool = new DecodePool({ entry, size: 1, log: memoryLogger() });
    try {
      const [inspected] = await Promise.all([pool.inspect('/a', '/ws', () => null), pool.hash('/next')]);
      expect(inspected).toMatchObject({ kind: 'new', info: { frames: 1 } });
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
