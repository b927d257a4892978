import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnNodeEngineWorker } from './node-worker';

const dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-node-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A worker that answers each message with the byte length and sum of the Float32Array it was sent. */
function echoWorker() {
  const entry = path.join(dir, 'echo.mjs');
  writeFileSync(
    entry,
    `import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => parentPort.postMessage({ bytes: m.payload.byteLength, sum: m.payload.reduce((a, b) => a + b, 0) }));`,
  );
  return spawnNodeEngineWorker(entry);
}

describe('spawnNodeEngineWorker', () => {
  it('moves the buffers it is given to transfer, and copies the rest', async () => {
    const worker = echoWorker();
    const replies: unknown[] = [];
    let answer = (): void => {};
    worker.onMessage((m) => {
      replies.push(m);
      answer();
    });
    const next = () => new Promise<void>((resolve) => (answer = resolve));
    const moved = new Float32Array([1, 2, 3, 4]);
    const message = (payload: Float32Array) => ({ type: 'call', id: 1, method: 'predict', payload }) as never;
    let answered = next();
    worker.post(message(moved), [moved.buffer]);
    await answered;
    // Moved: the sender's buffer is detached, and the worker had all of it.
    expect(moved.byteLength).toBe(0);
    const copied = new Float32Array([5, 6]);
    answered = next();
    worker.post(message(copied));
    await answered;
    expect(copied.byteLength).toBe(8);
    expect(replies).toEqual([
      { bytes: 16, sum: 10 },
      { bytes: 8, sum: 11 },
    ]);
    await worker.terminate();
  });
});
