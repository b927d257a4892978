import { describe, expect, it } from 'vitest';
import {
  decodedFrameSchema,
  preprocessingSpecSchema,
  trainingDatasetSchema,
  type PreprocessingSpecInput,
} from '../../contract/index';
import { prepareDataset } from './dataset';
import { prepareFrames, preprocessFrame, preprocessMask } from './preprocessing';

/** A spec with defaults applied; sizes below the schema's minimum are set after parsing, for tiny test frames. */
const spec = ({ rows = 8, columns = 8, ...rest }: Partial<PreprocessingSpecInput>) => ({
  ...preprocessingSpecSchema.parse({ rows: 8, columns: 8, ...rest }),
  rows,
  columns,
});
const frame = (
  data: Uint8Array | Uint16Array | Int16Array | Float32Array,
  rows: number,
  columns: number,
  extra: object = {},
) => decodedFrameSchema.parse({ data, rows, columns, samplesPerPixel: 1, ...extra });

describe('preprocessing', () => {
  const ramp16 = Uint16Array.from({ length: 64 }, (_, i) => i * 1000);

  it.each([
    [
      'dtype range of 8-bit',
      frame(
        Uint8Array.from({ length: 64 }, (_, i) => i * 4),
        8,
        8,
      ),
      { mode: 'dtype' },
      [0, 252 / 255],
    ],
    ['dtype range of 16-bit', frame(ramp16, 8, 8), { mode: 'dtype' }, [0, 63000 / 65535]],
    [
      'dtype range of signed 16-bit',
      frame(
        Int16Array.from([-32768, 32767, 0, 0], (v) => v),
        2,
        2,
      ),
      { mode: 'dtype' },
      [0, 1],
    ],
    ['a fixed range, clipped', frame(ramp16, 8, 8), { mode: 'range', min: 10_000, max: 20_000 }, [0, 1]],
    [
      'per-image min–max',
      frame(
        Float32Array.from({ length: 64 }, (_, i) => i - 7.5),
        8,
        8,
      ),
      { mode: 'per-image' },
      [0, 1],
    ],
  ] as const)('scales %s into [0, 1]', (_name, f, intensity, [min, max]) => {
    const s = spec({ rows: f.rows, columns: f.columns, intensity: intensity as PreprocessingSpecInput['intensity'] });
    const { input } = preprocessFrame(f, s);
    expect(Math.min(...input)).toBeCloseTo(min, 6);
    expect(Math.max(...input)).toBeCloseTo(max, 6);
  });

  it('applies rescale slope/intercept before a window, as DICOM defines the window on modality values', () => {
    // Stored 1024 + HU; a soft-tissue window 40/400 maps [-160, 239] HU linearly onto [0, 1] (DICOM C.11.2.1.2.1).
    const f = frame(Uint16Array.from([1024 - 160, 1024 + 40, 1024 + 240, 1024 + 1000]), 2, 2, {
      rescaleIntercept: -1024,
    });
    const s = spec({ rows: 2, columns: 2, intensity: { mode: 'window', window: { center: 40, width: 400 } } });
    const { input } = preprocessFrame(f, s);
    expect(input[0]).toBe(0);
    expect(input[1]).toBeCloseTo(200 / 399, 6);
    expect(input[2]).toBe(1);
    expect(input[3]).toBe(1);
    const raw = preprocessFrame(
      f,
      spec({ rows: 2, columns: 2, applyRescale: false, intensity: { mode: 'range', min: 0, max: 2048 } }),
    ).input;
    expect(raw[1]).toBeCloseTo((1024 + 40) / 2048, 6);
  });

  it('converts channels: grey to three, colour to luma, alpha dropped', () => {
    const grey = preprocessFrame(frame(Uint8Array.from([0, 255]), 1, 2), {
      ...spec({ rows: 8, columns: 8, channels: 3, intensity: { mode: 'dtype' } }),
      rows: 1,
      columns: 2,
    });
    expect(Array.from(grey.input)).toEqual([0, 0, 0, 1, 1, 1]);
    const rgba = decodedFrameSchema.parse({
      data: Uint8Array.from([255, 0, 0, 9, 0, 0, 255, 9]),
      rows: 1,
      columns: 2,
      samplesPerPixel: 4,
    });
    const luma = preprocessFrame(rgba, { ...spec({ intensity: { mode: 'dtype' } }), rows: 1, columns: 2 });
    expect(luma.input[0]).toBeCloseTo(0.299, 5);
    expect(luma.input[1]).toBeCloseTo(0.114, 5);
  });

  it('pads to keep the aspect ratio and places masks exactly where their images go', () => {
    const s = spec({ rows: 8, columns: 8, resize: 'pad', intensity: { mode: 'range', min: 0, max: 1 } });
    const f = frame(new Float32Array(4 * 8).fill(1), 4, 8);
    const { input, placement } = preprocessFrame(f, s);
    expect(placement).toEqual({ top: 2, left: 0, height: 4, width: 8 });
    expect(input.slice(0, 16).every((v) => v === 0)).toBe(true);
    expect(input.slice(16, 48).every((v) => v === 1)).toBe(true);
    const mask = preprocessMask({ data: new Uint8Array(32).fill(2), rows: 4, columns: 8 }, s);
    expect(Array.from(mask).map((v) => (v ? 1 : 0))).toEqual(Array.from(input).map((v) => (v ? 1 : 0)));
  });

  it('prepares a batch as each frame alone gives it, in order, a buffer of exactly the batch', () => {
    const s = spec({ rows: 8, columns: 8, channels: 3, resize: 'pad', intensity: { mode: 'per-image' } });
    const frames = [
      frame(
        Uint8Array.from({ length: 64 }, (_, i) => (i * 7) % 256),
        8,
        8,
      ),
      frame(
        Uint16Array.from({ length: 32 }, (_, i) => i * 300),
        4,
        8,
      ),
      decodedFrameSchema.parse({
        data: Uint8Array.from({ length: 48 }, (_, i) => i * 5),
        rows: 4,
        columns: 4,
        samplesPerPixel: 3,
      }),
    ];
    const size = 8 * 8 * 3;
    // One frame (a batch run's file, most often) and several: the same values, and a buffer that
    // holds the batch and nothing else (it is moved whole between threads).
    for (const batch of [[frames[1]!], frames]) {
      const { input, frames: placed } = prepareFrames(batch, s);
      expect(input.buffer.byteLength).toBe(batch.length * size * 4);
      batch.forEach((f, i) => {
        const alone = preprocessFrame(f, s);
        expect(Array.from(input.subarray(i * size, (i + 1) * size))).toEqual(Array.from(alone.input));
        expect(placed[i]).toEqual({ rows: f.rows, columns: f.columns, placement: alone.placement });
      });
    }
  });

  it('resolves an auto range on the training split only, and hashes labels and pixels', async () => {
    const samples = [0, 1, 2].map((i) => ({
      id: `img${i}`,
      split: i === 2 ? 'test' : 'train',
      image: {
        frame: {
          data: Uint16Array.from({ length: 16 }, (_, p) => (i === 2 ? 60_000 : 100 * p)),
          rows: 4,
          columns: 4,
          samplesPerPixel: 1,
        },
      },
      label: i % 2,
    }));
    const dataset = trainingDatasetSchema.parse({ task: 'classification', classes: ['a', 'b'], samples });
    const prepared = await prepareDataset(dataset, spec({ rows: 4, columns: 4 }));
    expect(prepared.spec.intensity).toEqual({ mode: 'range', min: 0, max: 1500 });
    expect(prepared.splits.test[0]!.image.every((v) => v === 1)).toBe(true);
    expect(prepared.snapshot.splits).toEqual({ train: ['img0', 'img1'], val: [], test: ['img2'] });
    expect(prepared.snapshot.classCounts.train).toEqual([1, 1]);
    const relabelled = trainingDatasetSchema.parse({
      ...dataset,
      samples: samples.map((s) => ({ ...s, label: s.id === 'img0' ? 1 : s.label })),
    });
    const again = await prepareDataset(relabelled, spec({ rows: 4, columns: 4 }));
    expect(again.snapshot.labelHash).not.toBe(prepared.snapshot.labelHash);
    const reordered = await prepareDataset(
      trainingDatasetSchema.parse({ ...dataset, samples: [...samples].reverse() }),
      spec({ rows: 4, columns: 4 }),
    );
    expect(reordered.snapshot.datasetHash).toBe(prepared.snapshot.datasetHash);
  });

  it('refuses a mask whose size differs from its image, and classes outside the task', async () => {
    const base = {
      id: 'a',
      split: 'train',
      image: { frame: { data: new Uint8Array(16), rows: 4, columns: 4, samplesPerPixel: 1 } },
    };
    const wrongSize = trainingDatasetSchema.parse({
      task: 'segmentation',
      classes: ['bg', 'x'],
      samples: [{ ...base, mask: { data: new Uint8Array(4), rows: 2, columns: 2 } }],
    });
    await expect(prepareDataset(wrongSize, spec({ rows: 4, columns: 4 }))).rejects.toThrow(
      /mask of "a" is 2×2 but its image is 4×4/,
    );
    const wrongClass = trainingDatasetSchema.parse({
      task: 'segmentation',
      classes: ['bg', 'x'],
      samples: [{ ...base, mask: { data: new Uint8Array(16).fill(3), rows: 4, columns: 4 } }],
    });
    await expect(prepareDataset(wrongClass, spec({ rows: 4, columns: 4 }))).rejects.toThrow(
      /has class 3 but the task has 2 classes/,
    );
    const byPath = trainingDatasetSchema.parse({
      task: 'classification',
      classes: ['a', 'b'],
      samples: [{ id: 'p', split: 'train', image: { path: '/data/p.dcm' }, label: 0 }],
    });
    await expect(prepareDataset(byPath, spec({ rows: 4, columns: 4 }))).rejects.toThrow(/no image decoder registered/);
  });
});
