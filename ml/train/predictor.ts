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
  type SamplePrediction,
} from '../../contract/index';
import { preprocessFrame } from '../data/preprocessing';
import { throwIfCancelled, yieldToMessages } from '../worker/runtime';
import { argmax } from '../metrics/classification';
import { loadModelFolder } from '../model-io/model-folder';
import { detect } from '../detection/detect';
import { classMap, classPixelCounts, maskOnFrame, meanPixelEntropy, softmaxRow } from './outputs';
import { onFrame, postprocessFor } from './tasks/detection-evaluation';
import { resolvedDetectionSettings } from './tasks/settings';
import { outputAndEmbedding, withPenultimate } from '../inspect/embeddings';

/** Frames per forward pass. */
const PREDICT_BATCH_SIZE = 16;

export class Predictor {
  /** The model with its penultimate layer as a second output, made on the first call that asks for embeddings. */
  private twoOutputs: tf.LayersModel | null = null;

  private constructor(
    readonly dir: string,
    readonly card: ModelCard,
    private loaded: tf.LayersModel | null,
  ) {}

  get model(): tf.LayersModel {
    if (!this.loaded) throw new Error('This predictor was disposed.');
    return this.loaded;
  }

  static async load(dir: string): Promise<Predictor> {
    const { model, card } = await loadModelFolder(dir);
    const predictor = new Predictor(dir, card, model);
    // Warm-up: the first pass compiles kernels and allocates; later passes are what users wait for.
    tf.tidy(() => model.predict(tf.zeros([1, card.input.rows, card.input.columns, card.input.channels])));
    return predictor;
  }

  /**
   * `detection` replaces some of the card's post-processing settings for this call. With
   * `embeddings` (classification and segmentation), each frame's penultimate-layer embedding
   * (ml/inspect/embeddings.ts) is pushed onto it, from the same forward pass as the prediction.
   */
  async predict(
    frames: readonly DecodedFrame[],
    signal?: AbortSignal,
    detection?: DetectionSettingsOverride,
    embeddings?: Float32Array<ArrayBuffer>[],
  ): Promise<SamplePrediction[]> {
    const model = this.model;
    if (embeddings && this.card.task !== 'classification' && this.card.task !== 'segmentation')
      throw new LoupeError(
        'INVALID_REQUEST',
        `Embeddings for "Label next" come from classification and segmentation models; this model does ${this.card.task}.`,
      );
    if (embeddings) this.twoOutputs ??= withPenultimate(model);
    const { rows, columns, channels } = this.card.input;
    const pixels = rows * columns;
    const out: SamplePrediction[] = [];
    const task = this.card.task;
    const settings = task === 'detection' ? resolvedDetectionSettings(this.card.detection, detection) : null;
    for (let start = 0; start < frames.length; start += PREDICT_BATCH_SIZE) {
      if (signal) throwIfCancelled(signal);
      const chunk = frames.slice(start, start + PREDICT_BATCH_SIZE);
      const prepared = chunk.map((frame) => preprocessFrame(frame, this.card.preprocessing));
      const input = new Float32Array(chunk.length * pixels * channels);
      prepared.forEach((p, i) => input.set(p.input, i * pixels * channels));
      if (settings) {
        const images = tf.tensor4d(input, [chunk.length, rows, columns, channels]);
        let detections;
        try {
          detections = await detect(model, images, {
            numClasses: this.card.classes.length,
            topK: settings.topK,
            postprocess: postprocessFor(settings),
          });
        } finally {
          images.dispose();
        }
        chunk.forEach((frame, i) => {
          const sample = { placement: prepared[i]!.placement, frameRows: frame.rows, frameColumns: frame.columns };
          out.push({ detections: detections[i]!.map((d) => onFrame(d, sample)) });
        });
        await yieldToMessages();
        continue;
      }
      const images = tf.tensor4d(input, [chunk.length, rows, columns, channels]);
      const [logitsTensor, embeddingTensor] = embeddings
        ? outputAndEmbedding(this.twoOutputs!, images)
        : [tf.tidy(() => model.predict(images) as tf.Tensor), null];
      images.dispose();
      const logits = (await logitsTensor.data()) as Float32Array;
      logitsTensor.dispose();
      if (embeddingTensor) {
        const width = embeddingTensor.shape[1];
        const rowsOfEmbedding = (await embeddingTensor.data()) as Float32Array<ArrayBuffer>;
        embeddingTensor.dispose();
        for (let i = 0; i < chunk.length; i++) embeddings!.push(rowsOfEmbedding.slice(i * width, (i + 1) * width));
      }
      const outputChannels = logits.length / (chunk.length * (task === 'segmentation' ? pixels : 1));
      chunk.forEach((frame, i) => {
        if (task === 'verification') {
          out.push({ embedding: logits.slice(i * outputChannels, (i + 1) * outputChannels) });
        } else if (task === 'segmentation') {
          const map = classMap(logits, i * pixels * outputChannels, pixels, outputChannels);
          const mask = maskOnFrame(map, columns, prepared[i]!.placement, frame.rows, frame.columns);
          out.push({
            mask,
            rows: frame.rows,
            columns: frame.columns,
            classPixels: classPixelCounts(mask, this.card.classes.length),
            meanEntropy: meanPixelEntropy(logits, i * pixels * outputChannels, pixels, outputChannels),
          });
        } else {
          const probabilities = softmaxRow(logits, i * outputChannels, outputChannels);
          out.push({ probabilities, predicted: argmax(probabilities) });
        }
      });
      await yieldToMessages();
    }
    return out;
  }

  dispose(): void {
    // The two-output model shares the loaded model's weights: disposing the model frees both.
    this.twoOutputs = null;
    this.loaded?.dispose();
    this.loaded = null;
  }
}
