/**
 * The engine's export method for `tfjs`: a model folder → a TF.js bundle (see tfjs-export.ts) and
 * its card, after stock tfjs (the bundle's own tf.min.js, in a context of its own, cpu backend)
 * has run the bundle's loupe.js and loupe-model.js on the given images — preprocessing included —
 * and its outputs and predictions were compared with Loupe's Predictor.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import {
  LoupeError,
  type DecodedFrame,
  type ExportParity,
  type ExportReply,
  type ModelCard,
  type SamplePrediction,
} from '../../contract/index';
import type { EngineParsedRequestOf } from '../../contract/engine/protocol';
import { preprocessFrame } from '../data/preprocessing';
import { throwIfCancelled, type MethodContext } from '../worker/runtime';
import { framesOf, loupeFacts, writeBundle } from '../export/bundle-folder';
import { FP32_MAX_ABS_DIFF, loupeRawOutputs, predictionsOf, samePrediction } from '../export/prediction-compare';
import { buildTfjsBundle, pageReason, TFJS_FILES, type TfjsBundle } from '../export/tfjs-export';
import { openStockTfjs, type StockTfjs } from '../export/tfjs-stock';
import { Predictor } from '../train/predictor';
import { resolvedDetectionSettings } from '../train/tasks/settings';

export const TFJS_CARD = 'model-card.json';

/**
 * Test images stock tfjs checks at most. Its cpu backend is plain JavaScript, about 20× slower than
 * Loupe's wasm: measured here (2 shared cores) 1.4–2 s per image for a small CNN at 128² and 17–19 s
 * for ResNet-18 at 224², against 0.07 s and 1.4 s on wasm. 32 images keep a ResNet-18 export
 * within about 10 minutes on such a machine; ONNX Runtime checks up to MAX_PARITY_IMAGES (256).
 */
export const MAX_TFJS_PARITY_IMAGES = 32;

type ExportRequest = EngineParsedRequestOf<'export'>;

/** loupe.js's API, as the parity check calls it inside the stock context. */
interface LoupeExportScript {
  loadModel(tf: StockTfjs['tf'], bundle: unknown): Promise<tf.LayersModel>;
  predictFrames(
    tf: StockTfjs['tf'],
    model: tf.LayersModel,
    card: ModelCard,
    frames: readonly DecodedFrame[],
  ): Promise<{ outputs: Float32Array; predictions: (SamplePrediction | null)[] }>;
}

/** Loupe's raw model output for frames (its own preprocessing, its own backend), channels last. */
async function loupeOutputs(predictor: Predictor, frames: readonly DecodedFrame[]): Promise<Float32Array> {
  const { rows, columns, channels } = predictor.card.input;
  const size = rows * columns * channels;
  const input = new Float32Array(frames.length * size);
  frames.forEach((f, i) => input.set(preprocessFrame(f, predictor.card.preprocessing).input, i * size));
  return loupeRawOutputs(predictor.model, input, [frames.length, rows, columns, channels]);
}

async function checkParity(
  predictor: Predictor,
  bundle: TfjsBundle,
  request: ExportRequest,
  context: MethodContext<'export'>,
): Promise<ExportParity> {
  const stock = await openStockTfjs(bundle.scripts);
  const loupe = stock.global.LoupeExport as LoupeExportScript;
  const model = await loupe.loadModel(stock.tf, stock.global.LOUPE_MODEL);
  const samples = request.dataset.samples.filter((s) => s.split === request.split).slice(0, MAX_TFJS_PARITY_IMAGES);
  const outputShape = predictor.model.outputs[0]!.shape.slice(1) as number[];
  let worst = 0;
  let same = 0;
  try {
    // One image at a time: a stock cpu pass can take seconds, and cancel is checked between passes.
    for (let start = 0; start < samples.length; start++) {
      throwIfCancelled(context.signal);
      const frames = await framesOf(samples.slice(start, start + 1));
      const stockRun = await loupe.predictFrames(stock.tf, model, predictor.card, frames);
      const reference = await loupeOutputs(predictor, frames);
      reference.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - stockRun.outputs[i]!))));
      const ours = await predictor.predict(frames);
      // A detector whose card asks for soft-NMS: loupe.js leaves its boxes to Loupe's own decoding.
      const softNms = stockRun.predictions.some((p) => p === null);
      const theirs = softNms
        ? await predictionsOf(
            { data: Float32Array.from(stockRun.outputs), dims: [frames.length, ...outputShape] },
            predictor,
            frames,
          )
        : (stockRun.predictions as SamplePrediction[]);
      theirs.forEach((p, i) => {
        if (samePrediction(p, ours[i]!)) same++;
      });
      context.progress({ done: start + frames.length, total: samples.length });
    }
  } finally {
    model.dispose();
  }
  return {
    split: request.split,
    images: samples.length,
    runtime: `@tensorflow/tfjs ${stock.tf.version.tfjs} (stock tf.min.js, cpu backend)`,
    maxAbsDiff: worst,
    tolerance: FP32_MAX_ABS_DIFF,
    samePredictions: same,
    passed: worst <= FP32_MAX_ABS_DIFF && same === samples.length,
  };
}

function bundleCard(predictor: Predictor, bundle: TfjsBundle, parity: ExportParity): object {
  const { card, model } = predictor;
  return {
    format: 'loupe-export',
    version: 1,
    tfjs: {
      format: 'layers-model',
      tfjsVersion: tf.version.tfjs,
      precision: 'fp32',
      layout: 'NHWC',
      modelJson: TFJS_FILES.modelJson,
      weightShards: bundle.shards,
      customLayers: bundle.customLayers.map((name) => ({ className: name, registeredBy: TFJS_FILES.code })),
      input: {
        shape: [null, ...model.inputs[0]!.shape.slice(1)],
        description: `float32 NHWC, already preprocessed as loupe.preprocessing says; ${TFJS_FILES.code}'s LoupeExport.preprocess does it.`,
      },
      output: { shape: [null, ...model.outputs[0]!.shape.slice(1)], activation: card.output.activation },
      page: bundle.page,
      pageNote: bundle.page
        ? 'Open index.html in a browser (file:// works, no network) and drop a PNG or JPEG.'
        : `No page: ${pageReason(card)}.`,
    },
    parity,
    loupe: loupeFacts(card),
  };
}

/** `extra`: files the bundle carries beside the model (a verification model's gallery.json). */
export async function exportTfjs(
  request: ExportRequest,
  context: MethodContext<'export'>,
  extra: Record<string, string> = {},
): Promise<ExportReply> {
  if (existsSync(request.outDir) && !request.force)
    throw new LoupeError(
      'CONFLICT',
      `${request.outDir} already exists; choose another folder or pass --force to replace it.`,
    );
  const predictor = await Predictor.load(request.modelDir);
  try {
    const { card } = predictor;
    // The page and loupe.js read the detection settings with their defaults filled in.
    const pageCard = {
      ...loupeFacts(card),
      ...(card.task === 'detection' ? { detection: resolvedDetectionSettings(card.detection, undefined) } : {}),
    };
    const bundle = await buildTfjsBundle(predictor.model, card, pageCard);
    const parity = await checkParity(predictor, bundle, request, context);
    if (!parity.passed)
      throw new LoupeError(
        'INTERNAL',
        `The tfjs export does not meet its check (max |difference| ${parity.maxAbsDiff.toExponential(2)}, ${parity.samePredictions} of ${parity.images} predictions the same); no bundle was written. Please report this model's architecture.`,
      );
    const files = {
      ...bundle.files,
      [TFJS_CARD]: JSON.stringify(bundleCard(predictor, bundle, parity), null, 2),
      ...extra,
    };
    await writeBundle(request.outDir, files);
    return {
      outDir: request.outDir,
      format: request.format,
      files: Object.keys(files),
      modelBytes: bundle.weightBytes,
      parity,
    };
  } finally {
    predictor.dispose();
  }
}
