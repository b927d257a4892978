/**
 * An exported ONNX bundle predicting as a Loupe model folder does (`loupe predict --model BUNDLE`):
 * frames prepared as the card says (modality values when the graph scales them itself), run by
 * ONNX Runtime, and the outputs turned into the same predictions the Predictor gives: softmax
 * probabilities, masks on each frame's pixels with class counts, boxes after NMS, embeddings.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { DecodedFrame, DetectionSettingsOverride, ModelCard, SamplePrediction } from '../../contract/index';
import { ONNX_MODEL, readExportBundle, type ExportBundle } from '../../base/export-bundle';
import { LastLoaded } from '../worker/last-loaded';
import { throwIfCancelled, yieldToMessages } from '../worker/runtime';
import { argmax } from '../metrics/classification';
import { classPixelCounts, softmaxRow } from '../train/outputs';
import { predictBatchSize } from '../train/predictor';
import { onnxInput, toChannelsLast } from './onnx-parity';
import { predictionsOf } from './prediction-compare';
import { predictionSessionOptions } from './session-options';

export class BundlePredictor {
  private constructor(
    readonly dir: string,
    private readonly bundle: ExportBundle,
    private session: ort.InferenceSession | null,
  ) {}

  get card(): ModelCard {
    return this.bundle.card;
  }

  /** `threads`: ONNX Runtime's intra-op threads (default: every core, as the engine's own backend). */
  static async load(dir: string, threads = os.availableParallelism()): Promise<BundlePredictor> {
    const bundle = await readExportBundle(dir);
    if (!bundle) throw new Error(`${dir} is not an exported bundle.`);
    const session = await ort.InferenceSession.create(path.join(dir, ONNX_MODEL), predictionSessionOptions(threads));
    return new BundlePredictor(dir, bundle, session);
  }

  async predict(
    frames: readonly DecodedFrame[],
    signal?: AbortSignal,
    detection?: DetectionSettingsOverride,
  ): Promise<SamplePrediction[]> {
    if (!this.session) throw new Error('This predictor was disposed.');
    const out: SamplePrediction[] = [];
    // As many frames a session run as the Predictor's forward passes take.
    const batchSize = predictBatchSize(this.card.input.rows, this.card.input.columns);
    for (let start = 0; start < frames.length; start += batchSize) {
      if (signal) throwIfCancelled(signal);
      const chunk = frames.slice(start, start + batchSize);
      const result = await this.session.run({
        [this.bundle.inputName]: onnxInput(this.card, chunk, this.bundle.preprocessingBaked),
      });
      const output = result[this.bundle.outputName]!;
      let data = output.data as Float32Array;
      let dims = output.dims.map(Number);
      if (dims.length === 4) {
        const [n, c, h, w] = dims as [number, number, number, number];
        data = toChannelsLast(data, n, c, h * w);
        dims = [n, h, w, c];
      }
      const predictions = await predictionsOf({ data, dims }, this, chunk, detection);
      out.push(...predictions.map((p) => this.asShown(p)));
      await yieldToMessages();
    }
    return out;
  }

  /** predictionsOf leaves classification logits raw and segmentation counts empty: finish them as the Predictor does. */
  private asShown(p: SamplePrediction): SamplePrediction {
    if ('predicted' in p) {
      const probabilities = softmaxRow(p.probabilities, 0, p.probabilities.length);
      return { probabilities, predicted: argmax(probabilities) };
    }
    if ('mask' in p) return { ...p, classPixels: classPixelCounts(p.mask, this.card.classes.length) };
    return p;
  }

  dispose(): void {
    void this.session?.release();
    this.session = null;
  }
}

/** The bundle the worker used last, as predictorFor keeps the last model folder (last-loaded.ts). */
const lastBundle = new LastLoaded<BundlePredictor>();

export async function bundlePredictorFor(dir: string): Promise<BundlePredictor> {
  const { mtimeMs } = await fs.stat(path.join(dir, ONNX_MODEL));
  return lastBundle.get(dir, mtimeMs, () => BundlePredictor.load(dir));
}
