import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnNodeEngineWorker, startNodeEngineWorkerEarly } from './node-worker';

const dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-node-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A worker entry that answers each message with the byte length and sum of the Float32Array it was sent. */
function echoEntry(): string {
  const entry = path.join(dir, 'echo.mjs');
  writeFileSync(
    entry,
    `import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => parentPort.postMessage({ bytes: m.payload.byteLength, sum: m.payload.reduce((a, b) => a + b, 0) }));`,
  );
  return entry;
}

describe('spawnNodeEngineWorker', () => {
  it('moves the buffers it is given to transfer, and copies the rest', async () => {
    const worker = spawnNodeEngineWorker(echoEntry());
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

  it('hands the thread started early to the first spawn of its entry, and only to that one', async () => {
    const entry = echoEntry();
    const early = startNodeEngineWorkerEarly(entry);
    const first = spawnNodeEngineWorker(entry);
    const second = spawnNodeEngineWorker(entry);
    expect(first.thread).toBe(early);
    expect(second.thread).not.toBe(early);
    const answer = new Promise((resolve) => first.onMessage(resolve));
    first.post({ type: 'call', id: 1, method: 'predict', payload: new Float32Array([2, 3]) } as never);
    await expect(answer).resolves.toEqual({ bytes: 8, sum: 5 });
    await Promise.all([first.terminate(), second.terminate()]);
  });

  it('starts a fresh thread where the early one has already ended', async () => {
    const failing = path.join(dir, 'fails.mjs');
    writeFileSync(failing, "throw new Error('broken entry');");
    const early = startNodeEngineWorkerEarly(failing);
    await new Promise((resolve) => early.once('exit', resolve));
    const worker = spawnNodeEngineWorker(failing);
    expect(worker.thread).not.toBe(early);
    // The fresh thread fails too, and says so to the supervisor.
    await expect(new Promise((resolve) => worker.onExit(resolve))).resolves.toMatch(/broken entry|exit code 1/);
  });
});
