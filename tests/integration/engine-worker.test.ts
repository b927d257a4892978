import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { realServices } from '../helpers/services';
import { BACKEND_ORDER, expectedBackend } from '../helpers/expected-backend';

/** This machine's memory, or its container's limit where lower. */
function machineMemory(): number {
  const constrained = process.constrainedMemory?.() ?? 0;
  return constrained > 0 ? Math.min(constrained, os.totalmem()) : os.totalmem();
}

describe('engine worker (real worker thread, real tfjs)', () => {
  let cleanup: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await cleanup?.();
    cleanup = null;
  });

  it('initialises tfjs and reports the first backend that loads, with versions', async () => {
    const { services } = realServices();
    cleanup = () => services.dispose();
    const info = await services.engine.engineInfo();
    const expected = expectedBackend();
    expect(info.backend).toBe(expected);
    if (expected === 'wasm') expect(info.tfjsBackend).toBe('wasm');
    // Tensors live outside wasm's 4 GiB heap on oneDNN, up to ¾ of this machine's memory.
    if (expected === 'onednn') {
      expect(info.tfjsBackend).toBe('onednn');
      expect(info.tensorMemoryBytes).toBe(Math.floor(0.75 * machineMemory()));
    }
    if (expected === 'wasm') expect(info.tensorMemoryBytes).toBe(4 * 2 ** 30);
    expect(info.versions.tfjs).toMatch(/^4\./);
    expect(info.attempts.at(-1)).toEqual({ backend: expected, ok: true });
    // Every backend before it in the engine's order was tried and failed (none when one is forced).
    if (!process.env.LOUPE_BACKEND)
      expect(info.attempts.filter((a) => !a.ok).map((a) => a.backend)).toEqual(
        BACKEND_ORDER.slice(0, BACKEND_ORDER.indexOf(expected as never)),
      );
  });

  it('streams progress and honours cancel', async () => {
    const { services } = realServices();
    cleanup = () => services.dispose();
    await services.engine.engineInfo();
    const controller = new AbortController();
    const progress: number[] = [];
    const call = services.engine.call(
      'benchmark',
      { size: 256, iterations: 1000 },
      {
        signal: controller.signal,
        onProgress: (p) => {
          progress.push(p.done);
          if (p.done === 3) controller.abort();
        },
      },
    );
    await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(progress.slice(0, 3)).toEqual([1, 2, 3]);
    expect(progress.length).toBeLessThan(1000);
  });

  it('fails the pending call when the worker is killed mid-request, and serves the next call from a fresh worker', async () => {
    const { services, workers } = realServices();
    cleanup = () => services.dispose();
    await services.engine.engineInfo();
    let killed = false;
    const call = services.engine.call(
      'benchmark',
      { size: 256, iterations: 1000 },
      {
        onProgress: () => {
          if (killed) return;
          killed = true;
          void workers[0]!.thread.terminate();
        },
      },
    );
    await expect(call).rejects.toMatchObject({ code: 'ENGINE_CRASHED' });
    const result = await services.engine.call('benchmark', { size: 32, iterations: 2 });
    expect(result.backend).toBe(expectedBackend());
    expect(workers).toHaveLength(2);
    expect(services.engine.state.state).toBe('ready');
  });
});
