import { describe, expect, it } from 'vitest';
import type { ToEngine } from '../../contract/engine/protocol';
import type { EngineStatus } from '../../contract/index';
import { memoryLogger } from '../services/logger';
import { EngineSupervisor, type EngineWorker } from './supervisor';

const INFO = {
  backend: 'wasm',
  tfjsBackend: 'wasm',
  versions: { tfjs: '4.22.0', node: '20' },
  features: { simd: true, threads: 1, cores: 2 },
  attempts: [{ backend: 'wasm', ok: true }],
};

/** A scripted worker: answers init at once, holds other calls until the test says. */
class FakeWorker implements EngineWorker {
  readonly received: ToEngine[] = [];
  readonly transfers: (readonly ArrayBuffer[] | undefined)[] = [];
  private messageListener: (message: unknown) => void = () => {};
  private exitListener: (description: string) => void = () => {};
  terminated = false;

  post(message: ToEngine, transfer?: readonly ArrayBuffer[]): void {
    this.received.push(message);
    this.transfers.push(transfer);
    if (message.type === 'call' && message.method === 'init') {
      queueMicrotask(() => this.messageListener({ type: 'result', id: message.id, ok: true, value: INFO }));
    }
  }
  onMessage(listener: (message: unknown) => void): void {
    this.messageListener = listener;
  }
  onExit(listener: (description: string) => void): void {
    this.exitListener = listener;
  }
  async terminate(): Promise<void> {
    this.terminated = true;
  }
  send(message: unknown): void {
    this.messageListener(message);
  }
  crash(): void {
    this.exitListener('exit code 134');
  }
  lastCall(): Extract<ToEngine, { type: 'call' }> {
    return this.received.filter((m): m is Extract<ToEngine, { type: 'call' }> => m.type === 'call').at(-1)!;
  }
}

function setup() {
  const workers: FakeWorker[] = [];
  const states: EngineStatus[] = [];
  const supervisor = new EngineSupervisor(
    () => {
      const worker = new FakeWorker();
      workers.push(worker);
      return worker;
    },
    memoryLogger(),
    (s) => states.push(s),
  );
  return { supervisor, workers, states };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('EngineSupervisor', () => {
  it('starts the worker lazily and reports ready with its backend', async () => {
    const { supervisor, workers, states } = setup();
    expect(workers).toHaveLength(0);
    await expect(supervisor.engineInfo()).resolves.toEqual(INFO);
    expect(workers).toHaveLength(1);
    expect(states.map((s) => s.state)).toEqual(['starting', 'ready']);
    expect(supervisor.state).toEqual({ state: 'ready', backend: 'wasm' });
  });

  it("hands a call's transfer list to the worker with its message", async () => {
    const { supervisor, workers } = setup();
    const input = new Float32Array(4);
    void supervisor.call('benchmark', { size: 64, iterations: 2 }, { transfer: [input.buffer] });
    await tick();
    const worker = workers[0]!;
    expect(worker.lastCall().method).toBe('benchmark');
    expect(worker.transfers.at(-1)).toEqual([input.buffer]);
    // init moved nothing.
    expect(worker.transfers[0]).toBeUndefined();
  });

  it('routes progress and results to the right call', async () => {
    const { supervisor, workers } = setup();
    const progress: unknown[] = [];
    const call = supervisor.call('benchmark', { size: 64, iterations: 2 }, { onProgress: (p) => progress.push(p) });
    await tick();
    const { id } = workers[0]!.lastCall();
    workers[0]!.send({ type: 'progress', id, data: { done: 1, total: 2 } });
    workers[0]!.send({
      type: 'result',
      id,
      ok: true,
      value: { backend: 'wasm', size: 64, iterations: 2, msPerIteration: 1, gflops: 0.5 },
    });
    await expect(call).resolves.toMatchObject({ gflops: 0.5 });
    expect(progress).toEqual([{ done: 1, total: 2 }]);
  });

  it('fails pending calls with ENGINE_CRASHED when the worker dies, then starts a fresh one', async () => {
    const { supervisor, workers, states } = setup();
    const call = supervisor.call('benchmark', { size: 64, iterations: 2 });
    await tick();
    workers[0]!.crash();
    await expect(call).rejects.toMatchObject({
      code: 'ENGINE_CRASHED',
      message: expect.stringMatching(/exit code 134/),
    });
    await tick();
    expect(workers).toHaveLength(2);
    expect(states.map((s) => s.state)).toContain('crashed');
    expect(supervisor.state.state).toBe('ready');
    await expect(supervisor.engineInfo()).resolves.toEqual(INFO);
  });

  it('passes worker errors through as LoupeErrors', async () => {
    const { supervisor, workers } = setup();
    const call = supervisor.call('benchmark', { size: 64, iterations: 2 });
    await tick();
    workers[0]!.send({
      type: 'result',
      id: workers[0]!.lastCall().id,
      ok: false,
      error: { code: 'CANCELLED', message: 'Cancelled.' },
    });
    await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it.each([
    {
      why: 'ran out of tensor memory: its heap may be broken',
      error: { code: 'ENGINE_OUT_OF_MEMORY' as const, message: 'The engine ran out of memory for tensors.' },
    },
    {
      why: 'answers ENGINE_CRASHED: its GPU failed (ml/backends/webgpu/faults.ts)',
      error: {
        code: 'ENGINE_CRASHED' as const,
        message: 'The GPU device was lost: device hung. The engine has been restarted.',
      },
    },
  ])('replaces a worker that $why', async ({ error }) => {
    const { supervisor, workers } = setup();
    const call = supervisor.call('benchmark', { size: 64, iterations: 2 });
    const other = supervisor.call('benchmark', { size: 64, iterations: 2 });
    await tick();
    const [first] = workers[0]!.received.filter((m) => m.type === 'call' && m.method === 'benchmark');
    workers[0]!.send({ type: 'result', id: (first as { id: number }).id, ok: false, error });
    await expect(call).rejects.toMatchObject(error);
    // The other call on the broken worker fails as a restart; the next one goes to a fresh worker.
    await expect(other).rejects.toMatchObject({ code: 'ENGINE_CRASHED', message: expect.stringMatching(/restarted/) });
    expect(workers[0]!.terminated).toBe(true);
    await expect(supervisor.engineInfo()).resolves.toEqual(INFO);
    expect(workers).toHaveLength(2);
  });

  it('forwards cancel to the worker', async () => {
    const { supervisor, workers } = setup();
    const controller = new AbortController();
    const call = supervisor.call('benchmark', { size: 64, iterations: 2 }, { signal: controller.signal });
    await tick();
    const { id } = workers[0]!.lastCall();
    controller.abort();
    expect(workers[0]!.received.at(-1)).toEqual({ type: 'cancel', id });
    workers[0]!.send({ type: 'result', id, ok: false, error: { code: 'CANCELLED', message: 'Cancelled.' } });
    await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('rejects a malformed reply instead of passing it on', async () => {
    const { supervisor, workers } = setup();
    const call = supervisor.call('benchmark', { size: 64, iterations: 2 });
    await tick();
    workers[0]!.send({ type: 'result', id: workers[0]!.lastCall().id, ok: true, value: { gflops: 'fast' } });
    await expect(call).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('restart terminates the old worker and fails its calls', async () => {
    const { supervisor, workers } = setup();
    const call = supervisor.call('benchmark', { size: 64, iterations: 2 });
    await tick();
    await expect(supervisor.restart()).resolves.toEqual(INFO);
    await expect(call).rejects.toMatchObject({ code: 'ENGINE_CRASHED' });
    expect(workers[0]!.terminated).toBe(true);
    expect(workers).toHaveLength(2);
  });

  it('refuses calls after dispose', async () => {
    const { supervisor } = setup();
    await supervisor.dispose();
    await expect(supervisor.engineInfo()).rejects.toMatchObject({ code: 'ENGINE_UNAVAILABLE' });
  });
});
