/**
 * An exported ONNX model run by ONNX Runtime behind the BatchRunner shape, so that Loupe's
 * evaluation code scores the exported file exactly as it scores Loupe's own model; and the
 * speed of such a session on this machine.
 */
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import { LoupeError, type ModelCard } from '../../contract/index';
import type { BatchRunner } from '../train/scored-model';
import { EXPORT_INPUT_NAME, EXPORT_OUTPUT_NAMES } from './onnx-export';
import { batchToChannelsFirst, toChannelsLast } from './onnx-parity';

/** Runs before timing starts: the first calls allocate and pick kernels. */
const WARM_UP_RUNS = 3;

/** `input`: [batch, H, W, C] NHWC float32 of several images → one NCHW tensor. */
function nchwInput(input: Float32Array, images: number, card: ModelCard): ort.Tensor {
  const { rows, columns, channels } = card.input;
  return new ort.Tensor('float32', batchToChannelsFirst(input, images, rows, columns, channels), [
    images,
    channels,
    rows,
    columns,
  ]);
}

/**
 * `outputShape`: the layers model's NHWC output shape (the export keeps it, channels first).
 * The inputs it is given must be what the graph takes: modality values when the preprocessing is
 * baked in, else the preprocessed input.
 */
export function onnxBatchRunner(
  session: ort.InferenceSession,
  card: ModelCard,
  outputShape: readonly (number | null)[],
): BatchRunner {
  const { rows, columns, channels } = card.input;
  return {
    inputs: [{ shape: [null, rows, columns, channels] }],
    outputs: [{ shape: outputShape }],
    async runBatch(x) {
      const images = x.shape[0];
      const result = await session.run({ [EXPORT_INPUT_NAME]: nchwInput(await x.data<'float32'>(), images, card) });
      const output = result[EXPORT_OUTPUT_NAMES[card.task]];
      if (!output)
        throw new LoupeError(
          'INVALID_REQUEST',
          `The ONNX model has no output named ${EXPORT_OUTPUT_NAMES[card.task]}.`,
        );
      const dims = output.dims.map(Number);
      const data = output.data as Float32Array;
      if (dims.length !== 4) return tf.tensor(data, dims);
      const [n, c, h, w] = dims as [number, number, number, number];
      return tf.tensor4d(toChannelsLast(data, n, c, h * w), [n, h, w, c]);
    },
  };
}

export interface OnnxSpeed {
  /** Median milliseconds of one image per call. */
  latencyMs: number;
  /** Images per second in calls of `batch` images. */
  imagesPerSecond: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Times `session` on `images` (NHWC inputs the graph takes): one per call, then `batch` per call. */
export async function measureSpeed(
  session: ort.InferenceSession,
  card: ModelCard,
  images: readonly Float32Array[],
  batch: number,
  signal: AbortSignal,
): Promise<OnnxSpeed> {
  if (images.length === 0) throw new LoupeError('INVALID_REQUEST', 'There is no image to time the model on.');
  const single = images.map((image) => nchwInput(image, 1, card));
  for (let i = 0; i < WARM_UP_RUNS; i++) await session.run({ [EXPORT_INPUT_NAME]: single[i % single.length]! });
  const times: number[] = [];
  for (const input of single) {
    if (signal.aborted) throw new LoupeError('CANCELLED', 'Cancelled.');
    const start = performance.now();
    await session.run({ [EXPORT_INPUT_NAME]: input });
    times.push(performance.now() - start);
  }
  const per = images[0]!.length;
  const batches: ort.Tensor[] = [];
  for (let start = 0; start < images.length; start += batch) {
    const chunk = images.slice(start, start + batch);
    const flat = new Float32Array(chunk.length * per);
    chunk.forEach((image, i) => flat.set(image, i * per));
    batches.push(nchwInput(flat, chunk.length, card));
  }
  await session.run({ [EXPORT_INPUT_NAME]: batches[0]! });
  const start = performance.now();
  for (const input of batches) {
    if (signal.aborted) throw new LoupeError('CANCELLED', 'Cancelled.');
    await session.run({ [EXPORT_INPUT_NAME]: input });
  }
  const seconds = (performance.now() - start) / 1000;
  return { latencyMs: median(times), imagesPerSecond: images.length / seconds };
}
