import { describe, expect, it } from 'vitest';
import type { FromEngine } from '../../contract/engine/protocol';
import { packPreparedFrames } from '../../contract/index';
import { EngineRuntime, type EngineMethodHandlers } from './runtime';

describe('EngineRuntime', () => {
  it('sends the buffers a method moves in its reply as the reply message’s transfer list', async () => {
    const input = new Float32Array([1, 2, 3]);
    const handlers = {
      predict: async (_request: unknown, context: { moveInReply?(b: ArrayBuffer): void }) => {
        context.moveInReply?.(input.buffer);
        return { task: 'classification', classes: ['a'], predictions: [], input };
      },
    } as unknown as EngineMethodHandlers;
    const sent: { message: FromEngine; transfer: ArrayBuffer[] | undefined }[] = [];
    let done = (): void => {};
    const replied = new Promise<void>((resolve) => (done = resolve));
    const runtime = new EngineRuntime(handlers, (message, transfer) => {
      sent.push({ message, transfer });
      done();
    });
    runtime.receive({ type: 'call', id: 7, method: 'predict', payload: { modelDir: '/m', frames: [] } });
    await replied;
    // The request is invalid (no frames): an error reply moves nothing.
    expect(sent[0]!.message).toMatchObject({ id: 7, ok: false });
    expect(sent[0]!.transfer ?? []).toEqual([]);
    const prepared = {
      input: new Float32Array(1),
      frames: packPreparedFrames([{ rows: 1, columns: 1, placement: { top: 0, left: 0, height: 1, width: 1 } }]),
    };
    const next = new Promise<void>((resolve) => (done = resolve));
    runtime.receive({ type: 'call', id: 8, method: 'predict', payload: { modelDir: '/m', prepared } });
    await next;
    expect(sent[1]!.message).toMatchObject({ id: 8, ok: true, value: { input } });
    expect(sent[1]!.transfer).toEqual([input.buffer]);
  });
});
