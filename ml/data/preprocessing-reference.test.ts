/**
 * preprocessFrame against the straightforward implementation it replaced (kept below verbatim as
 * the reference): convert every source pixel to float32 modality values, resize that, then scale.
 * The row-wise implementation rounds to float32 at the same points in the same order, so the
 * bound tested is exact equality, bit for bit, for every dtype, sample count, size and mode.
 */
import { describe, expect, it } from 'vitest';
import {
  decodedFrameSchema,
  preprocessingSpecSchema,
  type DecodedFrame,
  type PreprocessingSpec,
  type PreprocessingSpecInput,
} from '../../contract/index';
import { preprocessFrame, toModalityImage } from './preprocessing';
import { SeededRandom } from './random';
import { placementFor, type Placement } from './resize';

const LUMA = [0.299, 0.587, 0.114] as const;

function referenceResize(
  src: Float32Array,
  rows: number,
  columns: number,
  channels: number,
  outRows: number,
  outColumns: number,
  placement: Placement,
): Float32Array {
  const out = new Float32Array(outRows * outColumns * channels);
  const scaleY = rows / placement.height;
  const scaleX = columns / placement.width;
  for (let y = 0; y < placement.height; y++) {
    const sy = Math.min(Math.max((y + 0.5) * scaleY - 0.5, 0), rows - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, rows - 1);
    const fy = sy - y0;
    for (let x = 0; x < placement.width; x++) {
      const sx = Math.min(Math.max((x + 0.5) * scaleX - 0.5, 0), columns - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, columns - 1);
      const fx = sx - x0;
      const o = ((y + placement.top) * outColumns + x + placement.left) * channels;
      for (let c = 0; c < channels; c++) {
        const a = src[(y0 * columns + x0) * channels + c]!;
        const b = src[(y0 * columns + x1) * channels + c]!;
        const d = src[(y1 * columns + x0) * channels + c]!;
        const e = src[(y1 * columns + x1) * channels + c]!;
        out[o + c] = (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy;
      }
    }
  }
  return out;
}

function referenceModalityImage(frame: DecodedFrame, spec: PreprocessingSpec) {
  const { rows, columns, samplesPerPixel, data } = frame;
  const slope = spec.applyRescale ? frame.rescaleSlope : 1;
  const intercept = spec.applyRescale ? frame.rescaleIntercept : 0;
  const pixels = rows * columns;
  const channels = spec.channels;
  const converted = new Float32Array(pixels * channels);
  for (let p = 0; p < pixels; p++) {
    if (samplesPerPixel === 1) {
      const value = data[p]! * slope + intercept;
      for (let c = 0; c < channels; c++) converted[p * channels + c] = value;
    } else if (channels === 1) {
      const base = p * samplesPerPixel;
      converted[p] =
        (LUMA[0] * data[base]! + LUMA[1] * data[base + 1]! + LUMA[2] * data[base + 2]!) * slope + intercept;
    } else {
      for (let c = 0; c < 3; c++) converted[p * 3 + c] = data[p * samplesPerPixel + c]! * slope + intercept;
    }
  }
  const placement = placementFor(rows, columns, spec.rows, spec.columns, spec.resize);
  const same = rows === spec.rows && columns === spec.columns;
  const resized = same
    ? converted
    : referenceResize(converted, rows, columns, channels, spec.rows, spec.columns, placement);
  const range: [number, number] | null =
    data instanceof Uint8Array
      ? [0, 255]
      : data instanceof Uint16Array
        ? [0, 65535]
        : data instanceof Int16Array
          ? [-32768, 32767]
          : null;
  const ends = range ? [range[0] * slope + intercept, range[1] * slope + intercept] : [0, 1];
  return { data: resized, placement, dtypeRange: [Math.min(ends[0]!, ends[1]!), Math.max(ends[0]!, ends[1]!)] };
}

function referencePreprocess(frame: DecodedFrame, spec: PreprocessingSpec): Float32Array {
  const image = referenceModalityImage(frame, spec);
  const { data } = image;
  let low: number;
  let high: number;
  let clip = true;
  const intensity = spec.intensity;
  if (intensity.mode === 'window') {
    low = intensity.window.center - 0.5 - (intensity.window.width - 1) / 2;
    high = intensity.window.center - 0.5 + (intensity.window.width - 1) / 2;
  } else if (intensity.mode === 'range') {
    low = intensity.min;
    high = intensity.max;
  } else if (intensity.mode === 'per-image') {
    low = Infinity;
    high = -Infinity;
    for (const v of data) {
      if (v < low) low = v;
      if (v > high) high = v;
    }
  } else {
    [low, high] = image.dtypeRange as [number, number];
    clip = false;
  }
  const span = high - low > 0 ? high - low : 1;
  for (let i = 0; i < data.length; i++) {
    const v = (data[i]! - low) / span;
    data[i] = clip ? Math.min(1, Math.max(0, v)) : v;
  }
  if (spec.normalize) {
    for (let i = 0; i < data.length; i++) {
      const c = i % spec.channels;
      const mean = spec.normalize.mean[Math.min(c, spec.normalize.mean.length - 1)]!;
      const std = spec.normalize.std[Math.min(c, spec.normalize.std.length - 1)]!;
      data[i] = (data[i]! - mean) / std;
    }
  }
  return data;
}

/** Equal bit for bit; toEqual would also do, but walks typed arrays with its generic equality, 50× slower here. */
function expectSameBits(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const b = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const first = a.findIndex((bits, i) => bits !== b[i]);
  expect(first < 0 ? 'identical' : `differs at ${first}: ${actual[first]} vs ${expected[first]}`).toBe('identical');
}

const DTYPES = ['uint8', 'uint16', 'int16', 'float32'] as const;
type Dtype = (typeof DTYPES)[number];

function randomPixels(random: SeededRandom, dtype: Dtype, length: number) {
  switch (dtype) {
    case 'uint8':
      return Uint8Array.from({ length }, () => random.int(256));
    case 'uint16':
      return Uint16Array.from({ length }, () => random.int(65536));
    case 'int16':
      return Int16Array.from({ length }, () => random.int(65536) - 32768);
    case 'float32':
      // Fractions and negatives, at a scale where float32 rounding of the rescale shows if it moved.
      return Float32Array.from({ length }, () => random.gaussian() * 1000);
  }
}

const INTENSITIES: PreprocessingSpecInput['intensity'][] = [
  { mode: 'window', window: { center: 40, width: 400 } },
  { mode: 'range', min: -1000, max: 3000 },
  { mode: 'per-image' },
  { mode: 'dtype' },
];
/** [source rows, source columns, input rows, input columns]: shrinking by more than 2 (only some columns read),
 * by less than 2 and enlarging (every column read), the same size, odd sizes, and single rows and columns. */
const SIZES = [
  [300, 211, 16, 24],
  [97, 61, 64, 48],
  [9, 13, 32, 40],
  [24, 16, 24, 16],
  [1, 57, 8, 16],
  [45, 1, 16, 8],
  [37, 64, 37, 64],
] as const;

describe('preprocessFrame equals its full-frame reference bit for bit', () => {
  const random = new SeededRandom(12);
  const cases = SIZES.flatMap(([rows, columns, outRows, outColumns]) =>
    DTYPES.flatMap((dtype) =>
      ([1, 3, 4] as const).flatMap((samplesPerPixel) =>
        ([1, 3] as const).map((channels) => ({ rows, columns, outRows, outColumns, dtype, samplesPerPixel, channels })),
      ),
    ),
  );

  it.each(cases)(
    '$dtype $rows×$columns×$samplesPerPixel → $outRows×$outColumns×$channels, every intensity, resize and rescale',
    ({ rows, columns, outRows, outColumns, dtype, samplesPerPixel, channels }) => {
      const frame = decodedFrameSchema.parse({
        data: randomPixels(random, dtype, rows * columns * samplesPerPixel),
        rows,
        columns,
        samplesPerPixel,
        // A slope that is not a power of two and a negative one, so float32 rounding and the sorted dtype range matter.
        rescaleSlope: random.chance(0.5) ? 0.37 : -2.5,
        rescaleIntercept: -1024.3,
      });
      let compared = 0;
      for (const intensity of INTENSITIES)
        for (const resize of ['stretch', 'pad'] as const)
          for (const applyRescale of [true, false])
            for (const normalize of [undefined, { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }]) {
              const spec = {
                ...preprocessingSpecSchema.parse({ rows: 8, columns: 8, channels, intensity, resize, applyRescale }),
                rows: outRows,
                columns: outColumns,
                normalize,
              };
              const modality = toModalityImage(frame, spec);
              const reference = referenceModalityImage(frame, spec);
              expect(modality.placement).toEqual(reference.placement);
              expect(modality.dtypeRange).toEqual(reference.dtypeRange);
              expectSameBits(modality.data, reference.data);
              const { input, placement } = preprocessFrame(frame, spec);
              expect(placement).toEqual(reference.placement);
              expectSameBits(input, referencePreprocess(frame, spec));
              compared++;
            }
      expect(compared).toBe(INTENSITIES.length * 8);
    },
  );
});
