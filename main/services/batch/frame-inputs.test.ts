import { describe, expect, it } from 'vitest';
import type { DecodePool } from '../imaging/decode-pool';
import type { FoundFile } from '../imaging/file-walk';
import { predictRequestSchema } from '../../../contract/index';
import {
  engineCalls,
  groupFrames,
  InputBuffers,
  MAX_GROUP_FRAMES,
  predictPayload,
  read,
  readAheadFiles,
  type ReadOk,
} from './frame-inputs';

const file: FoundFile = { path: '/in/a.dcm', relative: 'a.dcm' } as FoundFile;
const info = { frames: 2 } as never;
const spec = { rows: 2, columns: 2, channels: 1 } as never;
const placement = { top: 0, left: 0, height: 2, width: 2 };

/** A read of `count` prepared 2×2 frames whose values count up from `from`. */
function preparedRead(count: number, from: number): ReadOk {
  const input = Float32Array.from({ length: count * 4 }, (_, i) => from + i);
  const frames = Array.from({ length: count }, () => ({ rows: 8, columns: 8, placement }));
  return { ok: true, file, sha256: 'h', size: 1, info, count, frames: [], prepared: { input, frames } };
}

describe('engineCalls', () => {
  it('joins prepared files in order and cuts them into calls of at most N frames, each its own buffer', () => {
    const calls = engineCalls([preparedRead(3, 0), preparedRead(1, 100), preparedRead(2, 200)], 4, new InputBuffers());
    expect(calls).toHaveLength(2);
    const [first, second] = calls.map((c) => ('prepared' in c ? c.prepared : null));
    expect(first!.frames).toHaveLength(4);
    expect(second!.frames).toHaveLength(2);
    expect(Array.from(first!.input)).toEqual([...Array.from({ length: 12 }, (_, i) => i), 100, 101, 102, 103]);
    expect(Array.from(second!.input)).toEqual([200, 201, 202, 203, 204, 205, 206, 207]);
    // A view would send the whole group's buffer with every call.
    for (const c of [first!, second!]) expect(c.input.buffer.byteLength).toBe(c.input.byteLength);
  });

  it('fills a buffer given back, every value of it, for the next call of its size', () => {
    const buffers = new InputBuffers();
    const [first] = engineCalls([preparedRead(2, 0)], 2, buffers).map((c) => ('prepared' in c ? c.prepared : null));
    first!.input.fill(-1);
    buffers.giveBack(first!.input);
    const [again] = engineCalls([preparedRead(2, 50)], 2, buffers).map((c) => ('prepared' in c ? c.prepared : null));
    expect(again!.input).toBe(first!.input);
    expect(Array.from(again!.input)).toEqual([50, 51, 52, 53, 54, 55, 56, 57]);
    // Another size, a view and a fifth buffer are not kept.
    expect(buffers.take(4)).not.toBe(first!.input);
    buffers.giveBack(new Float32Array(16).subarray(8));
    expect(buffers.take(8).buffer.byteLength).toBe(32);
    const five = Array.from({ length: 5 }, () => new Float32Array(8));
    five.forEach((b) => buffers.giveBack(b));
    const taken = Array.from({ length: 5 }, () => buffers.take(8));
    expect(taken.filter((b) => five.includes(b))).toHaveLength(4);
  });

  it("is sent to predict as the engine's schema takes it: input moved, frames packed, given back", () => {
    const [call] = engineCalls([preparedRead(2, 0)], 2, new InputBuffers());
    const { sent, transfer } = predictPayload(call!);
    expect(transfer).toEqual([sent.prepared!.input.buffer]);
    const parsed = predictRequestSchema.parse({ modelDir: '/m', ...sent });
    expect(parsed.prepared!.frames).toEqual([
      { rows: 8, columns: 8, placement },
      { rows: 8, columns: 8, placement },
    ]);
    expect(parsed.prepared!.giveBack).toBe(true);
    const frames = [
      {
        data: new Uint8Array(4),
        rows: 2,
        columns: 2,
        samplesPerPixel: 1 as const,
        rescaleSlope: 1,
        rescaleIntercept: 0,
      },
    ];
    expect(predictPayload({ frames })).toEqual({ sent: { frames }, transfer: [] });
  });

  it('gives no call for no frames', () => {
    expect(engineCalls([], 32, new InputBuffers())).toEqual([]);
  });
});

describe('read with preparation', () => {
  const pool = (prepared: unknown): DecodePool =>
    ({ readPrepared: async () => ({ sha256: 'h', size: 9, info, prepared }) }) as unknown as DecodePool;

  it('keeps the hash of a file the model cannot take, with the reason', async () => {
    const r = await read(pool({ error: 'no such window' }), file, spec);
    expect(r).toMatchObject({ ok: true, sha256: 'h', size: 9, refused: 'no such window', prepared: null });
  });

  it('refuses frames that are neither grey nor colour', async () => {
    const r = await read(pool({ input: new Float32Array(8), frames: [], samplesPerPixel: [1, 2] }), file, spec);
    expect(r).toEqual({ ok: false, file, reason: '2 samples per pixel; models read grey or colour images.' });
  });

  it('says why a file could not be read', async () => {
    const failing = {
      readPrepared: async () => Promise.reject(new Error('not a DICOM file')),
    } as unknown as DecodePool;
    expect(await read(failing, file, spec)).toEqual({ ok: false, file, reason: 'not a DICOM file' });
  });
});

describe('groupFrames', () => {
  const input = (rows: number, columns: number, channels: 1 | 3) => ({ rows, columns, channels }) as never;
  it('puts the most frames in a group of small inputs, and fewer as the input grows, within 32 MiB a call', () => {
    expect(groupFrames(input(64, 64, 1))).toBe(MAX_GROUP_FRAMES);
    expect(groupFrames(input(256, 256, 1))).toBe(128);
    expect(groupFrames(input(512, 512, 1))).toBe(32);
    expect(groupFrames(input(384, 384, 3))).toBe(18);
    for (const side of [64, 100, 256, 300, 400, 512])
      for (const channels of [1, 3] as const) {
        const frames = groupFrames(input(side, side, channels));
        if (frames > 16) expect(frames * side * side * channels * 4).toBeLessThanOrEqual(32 * 2 ** 20);
      }
  });
  it('keeps at least 16 frames a group (each is a commit), and 64 where the frames go as pixels', () => {
    expect(groupFrames(input(1024, 1024, 3))).toBe(16);
    expect(groupFrames(undefined)).toBe(64);
  });
  it('reads two groups of files ahead', () => {
    expect(readAheadFiles(input(512, 512, 1))).toBe(64);
    expect(readAheadFiles(undefined)).toBe(128);
  });
});
