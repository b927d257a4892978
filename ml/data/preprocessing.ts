/**
 * Decoded frame → model input, by a PreprocessingSpec that is saved with the model and applied
 * again, unchanged, at inference. Order: modality values (rescale) → channels → resize →
 * intensity to [0, 1] → optional standardisation.
 */
import type { DecodedFrame, PixelData, PreparedFrame, PreprocessingSpec } from '../../contract/index';
// From its own module, not the index: a decode worker (which prepares frames) then loads the
// errors, not every schema of the contract (about 150 ms of its start-up).
import { LoupeError } from '../../contract/errors';
import { placementFor, resizeBilinear, resizeNearestMask, type Placement, type ReadRow } from './resize';

/** ITU-R BT.601 luma weights, what most viewers use to show colour images in grey. */
const LUMA = [0.299, 0.587, 0.114] as const;

/** Percentiles an `auto` intensity range is taken from: robust to a few hot or dead pixels. */
export const AUTO_RANGE_PERCENTILES = [0.005, 0.995] as const;
/** Values sampled per image to estimate those percentiles (enough for 3 significant digits). */
const AUTO_RANGE_SAMPLES_PER_IMAGE = 4096;

/** A frame as the model's spatial size and channels, values still in modality units. */
export interface ModalityImage {
  data: Float32Array;
  /** Where the frame's content sits in the input (the rest is padding). */
  placement: Placement;
  /** Value range of the frame's stored type, in modality units (for `dtype` scaling). */
  dtypeRange: [number, number];
}

function dtypeRangeOf(data: DecodedFrame['data']): [number, number] | null {
  if (data instanceof Uint8Array) return [0, 255];
  if (data instanceof Uint16Array) return [0, 65535];
  if (data instanceof Int16Array) return [-32768, 32767];
  return null;
}

/**
 * Reads a frame's rows as modality values: rescale, then for colour frames luma for a grey model
 * or alpha dropped for a colour one. Values are rounded to float32 exactly where the full-frame
 * conversion this replaced stored them, so results did not change by a bit.
 */
function modalityRows(
  data: PixelData,
  samples: number,
  columns: number,
  channels: number,
  slope: number,
  intercept: number,
): ReadRow {
  const rowLength = columns * samples;
  // Stored samples as float32 (exact for 8/16-bit integers and float32 alike), filled by the
  // engine's native typed-array copy: the loops below then read one array type whatever the
  // frame's, rather than going megamorphic as 8-bit, 16-bit and float frames pass through. Both
  // buffers are made on first use, as a grey frame read whole (same size) needs neither.
  let stored: Float32Array | undefined;
  let picked: Float32Array | undefined;
  return (row, into, at) => {
    const source = data.subarray(row * rowLength, (row + 1) * rowLength);
    if (samples === 1) {
      // Grey frames, most of them, in one pass over the columns read.
      if (at) {
        stored ??= new Float32Array(rowLength);
        stored.set(source);
        for (let k = 0; k < at.length; k++) into[k] = stored[at[k]!]! * slope + intercept;
      } else {
        // In place: each value is read before it is overwritten.
        into.set(source);
        for (let k = 0; k < columns; k++) into[k] = into[k]! * slope + intercept;
      }
      return;
    }
    stored ??= new Float32Array(rowLength);
    stored.set(source);
    let values = stored;
    let count = columns;
    if (at) {
      values = picked ??= new Float32Array(rowLength);
      count = at.length;
      for (let k = 0; k < count; k++) {
        const from = at[k]! * samples;
        for (let s = 0; s < samples; s++) values[k * samples + s] = stored[from + s]!;
      }
    }
    if (channels === 1) {
      for (let k = 0, p = 0; k < count; k++, p += samples)
        into[k] = (LUMA[0] * values[p]! + LUMA[1] * values[p + 1]! + LUMA[2] * values[p + 2]!) * slope + intercept;
    } else {
      // Colour to colour: alpha (a 4th sample) is dropped.
      for (let k = 0, p = 0; k < count; k++, p += samples) {
        into[k * 3] = values[p]! * slope + intercept;
        into[k * 3 + 1] = values[p + 1]! * slope + intercept;
        into[k * 3 + 2] = values[p + 2]! * slope + intercept;
      }
    }
  };
}

/** Rescale, channel conversion and resize; no intensity scaling yet. */
export function toModalityImage(frame: DecodedFrame, spec: PreprocessingSpec): ModalityImage {
  const { rows, columns, samplesPerPixel: samples, data } = frame;
  const slope = spec.applyRescale ? frame.rescaleSlope : 1;
  const intercept = spec.applyRescale ? frame.rescaleIntercept : 0;
  // A grey frame is resized once and then repeated into each channel: identical channels would
  // interpolate to identical values, three times over.
  const channels = samples === 1 ? 1 : spec.channels;
  const placement = placementFor(rows, columns, spec.rows, spec.columns, spec.resize);
  const readRow = modalityRows(data, samples, columns, channels, slope, intercept);
  const same = rows === spec.rows && columns === spec.columns;
  let image: Float32Array;
  if (!same) {
    image = resizeBilinear(readRow, rows, columns, channels, spec.rows, spec.columns, placement);
  } else if (samples === 1) {
    // Read as one row as long as the frame: converts in place without a buffer, and saves the
    // per-row work (views, copies, calls), a quarter of the time for a 64² frame.
    image = new Float32Array(rows * columns);
    modalityRows(data, 1, rows * columns, 1, slope, intercept)(0, image);
  } else {
    image = new Float32Array(rows * columns * channels);
    const rowLength = columns * channels;
    for (let y = 0; y < rows; y++) readRow(y, image.subarray(y * rowLength, (y + 1) * rowLength));
  }
  if (channels < spec.channels) image = repeatChannels(image, spec.channels);
  return { data: image, placement, dtypeRange: storedRange(frame, spec) };
}

/**
 * The value range of a frame's stored type in modality units (after rescale where the spec applies
 * it): what `dtype` intensity scales by. [0, 1] for float pixels, which are taken as scaled already.
 */
export function storedRange(frame: DecodedFrame, spec: PreprocessingSpec): [number, number] {
  const slope = spec.applyRescale ? frame.rescaleSlope : 1;
  const intercept = spec.applyRescale ? frame.rescaleIntercept : 0;
  const range = dtypeRangeOf(frame.data);
  const ends = range ? [range[0] * slope + intercept, range[1] * slope + intercept] : [0, 1];
  return [Math.min(ends[0]!, ends[1]!), Math.max(ends[0]!, ends[1]!)];
}

function repeatChannels(grey: Float32Array, channels: number): Float32Array {
  const out = new Float32Array(grey.length * channels);
  for (let i = 0; i < grey.length; i++) for (let c = 0; c < channels; c++) out[i * channels + c] = grey[i]!;
  return out;
}

/** Scales modality values to [0, 1] (clipping for window/range) and standardises; in place. */
export function scaleIntensity(image: ModalityImage, spec: PreprocessingSpec): Float32Array {
  const { data } = image;
  let low: number;
  let high: number;
  let clip = true;
  switch (spec.intensity.mode) {
    case 'window':
      // DICOM PS3.3 C.11.2.1.2.1 linear window, mapped to [0, 1] instead of display levels.
      low = spec.intensity.window.center - 0.5 - (spec.intensity.window.width - 1) / 2;
      high = spec.intensity.window.center - 0.5 + (spec.intensity.window.width - 1) / 2;
      break;
    case 'range':
      low = spec.intensity.min;
      high = spec.intensity.max;
      break;
    case 'per-image': {
      low = Infinity;
      high = -Infinity;
      for (let i = 0; i < data.length; i++) {
        const v = data[i]!;
        if (v < low) low = v;
        if (v > high) high = v;
      }
      break;
    }
    case 'dtype':
      [low, high] = image.dtypeRange;
      clip = false;
      break;
    default:
      throw new LoupeError(
        'INVALID_REQUEST',
        'An "auto" intensity must be resolved on the training images before use.',
      );
  }
  const span = high - low > 0 ? high - low : 1;
  if (clip) for (let i = 0; i < data.length; i++) data[i] = Math.min(1, Math.max(0, (data[i]! - low) / span));
  else for (let i = 0; i < data.length; i++) data[i] = (data[i]! - low) / span;
  if (spec.normalize) standardise(data, spec.channels, spec.normalize);
  return data;
}

function standardise(
  data: Float32Array,
  channels: number,
  normalize: NonNullable<PreprocessingSpec['normalize']>,
): void {
  for (let c = 0; c < channels; c++) {
    const mean = normalize.mean[Math.min(c, normalize.mean.length - 1)]!;
    const std = normalize.std[Math.min(c, normalize.std.length - 1)]!;
    for (let i = c; i < data.length; i += channels) data[i] = (data[i]! - mean) / std;
  }
}

/** The whole preprocessing of one frame for a resolved spec. */
export function preprocessFrame(
  frame: DecodedFrame,
  spec: PreprocessingSpec,
): { input: Float32Array; placement: Placement } {
  const image = toModalityImage(frame, spec);
  return { input: scaleIntensity(image, spec), placement: image.placement };
}

/**
 * Frames as the model takes a batch of them: each frame's input in turn (channels last), and each
 * frame's size with where its content lies in the input (for masks and boxes on the frame).
 */
export function prepareFrames(
  frames: readonly DecodedFrame[],
  spec: PreprocessingSpec,
): { input: Float32Array<ArrayBuffer>; frames: PreparedFrame[] } {
  const size = spec.rows * spec.columns * spec.channels;
  if (frames.length === 1) {
    // Most files hold one frame: its own input is the batch, with no second buffer and copy (a
    // view into a larger buffer is copied out: the batch's buffer is moved between threads whole).
    const frame = frames[0]!;
    const { input, placement } = preprocessFrame(frame, spec);
    const own = input.byteLength === input.buffer.byteLength ? input : input.slice();
    return {
      input: own as Float32Array<ArrayBuffer>,
      frames: [{ rows: frame.rows, columns: frame.columns, placement }],
    };
  }
  const input = new Float32Array(frames.length * size);
  const placed = frames.map((frame, i) => {
    const { input: one, placement } = preprocessFrame(frame, spec);
    input.set(one, i * size);
    return { rows: frame.rows, columns: frame.columns, placement };
  });
  return { input, frames: placed };
}

/** A mask at the model's input size, placed as its image was. */
export function preprocessMask(
  mask: { data: Uint8Array; rows: number; columns: number },
  spec: PreprocessingSpec,
): Uint8Array {
  const placement = placementFor(mask.rows, mask.columns, spec.rows, spec.columns, spec.resize);
  if (mask.rows === spec.rows && mask.columns === spec.columns) return mask.data.slice();
  return resizeNearestMask(mask.data, mask.rows, mask.columns, spec.rows, spec.columns, placement);
}

/**
 * Turns an `auto` intensity into the fixed `range` measured on the training images, so the
 * saved spec reproduces training's scaling exactly at inference.
 */
export function resolveIntensity(spec: PreprocessingSpec, trainingImages: readonly ModalityImage[]): PreprocessingSpec {
  if (spec.intensity.mode !== 'auto') return spec;
  if (trainingImages.length === 0)
    throw new LoupeError('INVALID_REQUEST', 'The training split is empty: add images to it before training.');
  const samples: number[] = [];
  for (const image of trainingImages) {
    const step = Math.max(1, Math.floor(image.data.length / AUTO_RANGE_SAMPLES_PER_IMAGE));
    for (let i = 0; i < image.data.length; i += step) samples.push(image.data[i]!);
  }
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))]!;
  const min = at(AUTO_RANGE_PERCENTILES[0]);
  let max = at(AUTO_RANGE_PERCENTILES[1]);
  if (max <= min) max = min + 1;
  return { ...spec, intensity: { mode: 'range', min, max } };
}
