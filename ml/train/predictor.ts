/**
 * A saved model ready to predict: load(), a warm-up, predict(), dispose(). Frames go through the
 * model card's preprocessing, exactly as in training; segmentation masks and detected boxes come
 * back on each frame's own pixels; verification gives each frame's embedding.
 */
import * as tf from '@tensorflow/tfjs';
import {
  LoupeError,
  type DecodedFrame,
  type DetectionSettingsOverride,
  type ModelCard,
  type PredictRuntime,
  type PreparedFrame,
  type RuntimeChoice,
  type SamplePrediction,
} from '../../contract/index';
import { throwIfGpuFault } from '../backends/webgpu/faults';
import { prepareFrames } from '../data/preprocessing';
import { throwIfCancelled, yieldToMessages } from '../worker/runtime';
import { argmax } from '../metrics/classification';
import { loadModelFolder } from '../model-io/model-folder';
import { inferenceModel, outputOfBatch } from '../model-io/inference-model';
import { detectionsOfOutput } from '../detection/detect';
import { classMap, classPixelCounts, maskOnFrame, meanPixelEntropy, softmaxRow } from './outputs';
import { classProbabilities, probabilitiesOnFrame } from './probability-maps';
import { onFrame, postprocessFor } from './tasks/detection-evaluation';
import { resolvedDetectionSettings } from './tasks/settings';
import { outputAndEmbedding, withPenultimate } from '../inspect/embeddings';

/**
 * Input pixels per forward pass: 32 frames of 128². Small inputs need many frames a pass to
 * amortise each kernel call's fixed cost (32 frames of 64² ran 1.1× faster than 16, measured
 * with bench:predict; on ONNX Runtime 64 ran 1.04× faster than 32), and a batch run's call of
 * 128 small frames is one pass, not two (each pass costs the worker a turn of its event loop and
 * its own outputs); large ones must not hold a batch's activations for dozens of 512² frames.
 */
const PREDICT_PIXELS_PER_BATCH = 32 * 128 * 128;
const MAX_PREDICT_BATCH = 128;

/**
 * What runs the model itself on prepared inputs (NHWC float32, `images` of them) and gives its
 * output channels last: the engine's folded tfjs graph, or ONNX Runtime on the same model
 * exported (ml/export/onnx-forward.ts). Preprocessing and everything after the model stay here.
 */
export interface ModelForward {
  readonly runtime: PredictRuntime;
  run(input: Float32Array, images: number): Promise<{ data: Float32Array; dims: number[] }>;
  dispose(): void;
}

export interface PredictOptions {
  probabilities?: boolean;
  embeddings?: Float32Array<ArrayBuffer>[];
  /** 'engine': the engine's own graph even when a faster runtime is attached. */
  runtime?: RuntimeChoice;
}

/** Frames per forward pass for inputs of `rows` × `columns`. */
export function predictBatchSize(rows: number, columns: number): number {
  return Math.max(1, Math.min(MAX_PREDICT_BATCH, Math.floor(PREDICT_PIXELS_PER_BATCH / (rows * columns))));
}

export class Predictor {
  /** The model with its penultimate layer as a second output, made on the first call that asks for embeddings. */
  private twoOutputs: tf.LayersModel | null = null;
  /** A faster runtime for the model step, when one was attached and agreed with the engine. */
  private fast: ModelForward | null = null;

  private constructor(
    readonly dir: string,
    readonly card: ModelCard,
    private loaded: tf.LayersModel | null,
    /** What predict() runs: `loaded` with its batch norms folded (ml/model-io/inference-model). */
    private folded: tf.LayersModel | null,
  ) {}

  get model(): tf.LayersModel {
    if (!this.loaded) throw new Error('This predictor was disposed.');
    return this.loaded;
  }

  /** What predict() runs: `model` with its batch norms folded. */
  get inference(): tf.LayersModel {
    if (!this.folded) throw new Error('This predictor was disposed.');
    return this.folded;
  }

  /** The engine's own forward pass: the folded graph on this process's tfjs backend. */
  get engineForward(): ModelForward {
    const model = this.inference;
    const { rows, columns, channels } = this.card.input;
    return {
      runtime: 'engine',
      async run(input, images) {
        const x = tf.tensor4d(input, [images, rows, columns, channels]);
        const output = outputOfBatch(model, x) as tf.Tensor;
        x.dispose();
        try {
          const data = (await output.data()) as Float32Array;
          throwIfGpuFault();
          return { data, dims: output.shape };
        } finally {
          output.dispose();
        }
      },
      dispose() {},
    };
  }

  /** Runs predict()'s model step on `forward` from now on (null: back to the engine); disposes the one it replaces. */
  useForward(forward: ModelForward | null): void {
    this.fast?.dispose();
    this.fast = forward;
  }

  /** The runtime predict() runs the model step on with these options: embeddings need the engine's graph. */
  runtimeFor(options: { embeddings?: boolean; runtime?: RuntimeChoice }): PredictRuntime {
    return this.fast && !options.embeddings && options.runtime !== 'engine' ? this.fast.runtime : 'engine';
  }

  static async load(dir: string): Promise<Predictor> {
    const { model, card } = await loadModelFolder(dir);
    const folded = await inferenceModel(model);
    const predictor = new Predictor(dir, card, model, folded);
    // Warm-up: the first pass compiles kernels and allocates; later passes are what users wait for.
    tf.dispose(outputOfBatch(folded, tf.zeros([1, card.input.rows, card.input.columns, card.input.channels])));
    return predictor;
  }

  /**
   * `detection` replaces some of the card's post-processing settings for this call. Options:
   * `probabilities` adds a segmentation model's class probability maps on each frame; with
   * `embeddings` (classification and segmentation), each frame's penultimate-layer embedding
   * (ml/inspect/embeddings.ts) is pushed onto it, from the same forward pass as the prediction.
   */
  async predict(
    frames: readonly DecodedFrame[],
    signal?: AbortSignal,
    detection?: DetectionSettingsOverride,
    options: PredictOptions = {},
  ): Promise<SamplePrediction[]> {
    return this.inChunks(frames.length, signal, detection, options, (start, end) =>
      prepareFrames(frames.slice(start, end), this.card.preprocessing),
    );
  }

  /**
   * The same for frames already prepared as the card says (a batch run's decode workers prepare
   * them): `input` holds each frame's model input in turn, `frames` each frame's size and where its
   * content lies in the input (for masks and boxes on the frame).
   */
  async predictPrepared(
    input: Float32Array,
    frames: readonly PreparedFrame[],
    signal?: AbortSignal,
    detection?: DetectionSettingsOverride,
    options: PredictOptions = {},
  ): Promise<SamplePrediction[]> {
    const { rows, columns, channels } = this.card.input;
    const size = rows * columns * channels;
    if (input.length !== frames.length * size)
      throw new LoupeError(
        'INVALID_REQUEST',
        `The prepared input holds ${input.length} values; ${frames.length} frames of ${rows}×${columns}×${channels} take ${frames.length * size}.`,
      );
    return this.inChunks(frames.length, signal, detection, options, (start, end) => ({
      input: input.subarray(start * size, end * size),
      frames: frames.slice(start, end),
    }));
  }

  /** Runs the model over `count` frames a forward pass at a time; `chunk` gives a pass's input. */
  private async inChunks(
    count: number,
    signal: AbortSignal | undefined,
    detection: DetectionSettingsOverride | undefined,
    options: PredictOptions,
    chunk: (start: number, end: number) => { input: Float32Array; frames: readonly PreparedFrame[] },
  ): Promise<SamplePrediction[]> {
    if (!this.folded) throw new Error('This predictor was disposed.');
    const { embeddings } = options;
    if (embeddings && this.card.task !== 'classification' && this.card.task !== 'segmentation')
      throw new LoupeError(
        'INVALID_REQUEST',
        `Embeddings for "Label next" come from classification and segmentation models; this model does ${this.card.task}.`,
      );
    // On the folded model: its last layer's input is the same tensor as the trained model's.
    if (embeddings) this.twoOutputs ??= withPenultimate(this.folded);
    const forward =
      this.runtimeFor({ embeddings: Boolean(embeddings), runtime: options.runtime ?? 'auto' }) === 'engine'
        ? this.engineForward
        : this.fast!;
    const out: SamplePrediction[] = [];
    const batchSize = predictBatchSize(this.card.input.rows, this.card.input.columns);
    for (let start = 0; start < count; start += batchSize) {
      if (signal) throwIfCancelled(signal);
      const { input, frames } = chunk(start, Math.min(count, start + batchSize));
      out.push(...(await this.predictPass(forward, input, frames, detection, options)));
      // Lets a cancel in between passes; not after the last, whose reply must leave before the
      // next call's pass takes the thread (a batch run keeps two calls here: yielding sent this
      // reply only after the next pass, and the caller waited a whole pass for it).
      if (start + batchSize < count) await yieldToMessages();
    }
    return out;
  }

  /** One forward pass and what it means on each frame. */
  private async predictPass(
    forward: ModelForward,
    input: Float32Array,
    frames: readonly PreparedFrame[],
    detection: DetectionSettingsOverride | undefined,
    options: PredictOptions,
  ): Promise<SamplePrediction[]> {
    const { rows, columns, channels } = this.card.input;
    const pixels = rows * columns;
    const task = this.card.task;
    const { embeddings } = options;
    if (task === 'detection') {
      const settings = resolvedDetectionSettings(this.card.detection, detection);
      const output = await forward.run(input, frames.length);
      const detections = await detectionsOfOutput(output, rows, columns, {
        numClasses: this.card.classes.length,
        topK: settings.topK,
        postprocess: postprocessFor(settings),
      });
      return frames.map((frame, i) => {
        const sample = { placement: frame.placement, frameRows: frame.rows, frameColumns: frame.columns };
        return { detections: detections[i]!.map((d) => onFrame(d, sample)) };
      });
    }
    let logits: Float32Array;
    if (embeddings) {
      const images = tf.tensor4d(input, [frames.length, rows, columns, channels]);
      const [logitsTensor, embeddingTensor] = outputAndEmbedding(this.twoOutputs!, images);
      images.dispose();
      logits = (await logitsTensor.data()) as Float32Array;
      logitsTensor.dispose();
      const width = embeddingTensor.shape[1];
      const rowsOfEmbedding = (await embeddingTensor.data()) as Float32Array<ArrayBuffer>;
      embeddingTensor.dispose();
      for (let i = 0; i < frames.length; i++) embeddings.push(rowsOfEmbedding.slice(i * width, (i + 1) * width));
    } else {
      logits = (await forward.run(input, frames.length)).data;
    }
    const outputChannels = logits.length / (frames.length * (task === 'segmentation' ? pixels : 1));
    return frames.map((frame, i): SamplePrediction => {
      if (task === 'verification') return { embedding: logits.slice(i * outputChannels, (i + 1) * outputChannels) };
      if (task !== 'segmentation') {
        const probabilities = softmaxRow(logits, i * outputChannels, outputChannels);
        return { probabilities, predicted: argmax(probabilities) };
      }
      const classCount = this.card.classes.length;
      const at = i * pixels * outputChannels;
      const mask = maskOnFrame(
        classMap(logits, at, pixels, outputChannels),
        columns,
        frame.placement,
        frame.rows,
        frame.columns,
      );
      return {
        mask,
        rows: frame.rows,
        columns: frame.columns,
        classPixels: classPixelCounts(mask, classCount),
        meanEntropy: meanPixelEntropy(logits, at, pixels, outputChannels),
        ...(options.probabilities
          ? {
              probabilityMaps: probabilitiesOnFrame(
                classProbabilities(logits, at, pixels, outputChannels, classCount),
                classCount,
                { rows, columns },
                frame.placement,
                frame,
              ),
            }
          : {}),
      };
    });
  }

  dispose(): void {
    this.useForward(null);
    // The two-output model shares the folded model's weights: disposing that model frees both.
    this.twoOutputs = null;
    if (this.folded !== this.loaded) this.folded?.dispose();
    this.loaded?.dispose();
    this.loaded = null;
    this.folded = null;
  }
}
