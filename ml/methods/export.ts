/**
 * The engine's export method: a model folder → a bundle folder (model.onnx, model-card.json with
 * the I/O description and the parity numbers, model-card.md to read, run_onnx.py and run_onnx.mjs), after ONNX Runtime
 * has run the export on the given images and its results were compared with the Predictor's.
 * The bundle is written in a staging folder and renamed into place: a reader sees all or nothing.
 */
import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import {
  INT8_MAX_ACCURACY_DROP,
  INT8_MAX_SIZE_RATIO,
  LoupeError,
  MAX_PARITY_IMAGES,
  type ExportParity,
  type ExportReply,
  type ModelCard,
  type SamplePrediction,
} from '../../contract/index';
import type { EngineParsedRequestOf } from '../../contract/engine/protocol';
import { throwIfCancelled } from '../worker/runtime';
import type { MethodContext } from '../worker/runtime';
import { modelCardMarkdown } from '../export/card-page';
import { accuracy, framesOf, loupeFacts, PARITY_CHUNK, writeBundle } from '../export/bundle-folder';
import { buildOnnx, type OnnxExport } from '../export/onnx-export';
import { fixStoredRange } from '../export/stored-range';
import { withWeightsRead } from '../export/onnx-kernels';
import { checkOnnxParity, FP32_MAX_ABS_DIFF, onnxInput, openOnnxSession } from '../export/onnx-parity';
import { encodeModel, type OnnxModelParts } from '../export/onnx-proto';
import { calibrate, foldBatchNorms, quantizeQdq } from '../export/onnx-quantize';
import { NODE_RUNNER } from '../export/runner-node';
import { PYTHON_RUNNER } from '../export/runner-python';
import { Predictor } from '../train/predictor';

export const BUNDLE_FILES = {
  model: 'model.onnx',
  card: 'model-card.json',
  cardPage: 'model-card.md',
  python: 'run_onnx.py',
  node: 'run_onnx.mjs',
} as const;

/** The bundle's card: Loupe's card without anything that could name a patient, and the export's own facts. */
function bundleCard(
  card: ModelCard,
  exported: OnnxExport,
  request: EngineParsedRequestOf<'export'>,
  parity: ExportParity,
): object {
  const baked = request.preprocessing;
  return {
    format: 'loupe-export',
    version: 1,
    onnx: {
      opset: 17,
      irVersion: 8,
      precision: request.format === 'onnx-int8' ? 'int8 QDQ' : 'fp32',
      layout: 'NCHW',
      preprocessingBaked: baked,
      input: exported.input,
      output: exported.output,
    },
    parity,
    loupe: loupeFacts(card),
    runtimes: { onnxruntimeNode: ort.env.versions.node ?? 'unknown' },
  };
}

type ExportRequest = EngineParsedRequestOf<'export'>;

/** The training images an int8 export calibrates on; none for fp32. */
function calibrationSamples(request: ExportRequest): ExportRequest['dataset']['samples'] {
  if (request.format !== 'onnx-int8') return [];
  return request.dataset.samples.filter((s) => s.split === 'train').slice(0, request.calibration);
}

/** The int8 QDQ graph, calibrated on the request's training images (decoded a chunk at a time). */
async function quantized(
  predictor: Predictor,
  parts: OnnxModelParts,
  request: ExportRequest,
  signal: AbortSignal,
): Promise<{ bytes: Uint8Array; images: number }> {
  const samples = calibrationSamples(request);
  if (samples.length === 0)
    throw new LoupeError('INVALID_REQUEST', 'int8 calibration needs images in the training split; this task has none.');
  const folded = foldBatchNorms(parts);
  async function* batches() {
    for (let start = 0; start < samples.length; start += PARITY_CHUNK) {
      throwIfCancelled(signal);
      yield onnxInput(
        predictor.card,
        await framesOf(samples.slice(start, start + PARITY_CHUNK)),
        request.preprocessing,
      );
    }
  }
  const ranges = await calibrate(folded, batches(), request.calibrationMethod);
  return { bytes: encodeModel(quantizeQdq(folded, ranges)), images: samples.length };
}

/** `extra`: files the bundle carries beside the model (a verification model's gallery.json). */
export async function exportModel(
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
    const samples = request.dataset.samples.filter((s) => s.split === request.split).slice(0, MAX_PARITY_IMAGES);
    // Loupe's own card stays the reference the parity check predicts with; the bundle's may fix a stored range.
    const card = request.preprocessing
      ? await fixStoredRange(predictor.card, [...samples, ...calibrationSamples(request)], context.signal)
      : predictor.card;
    const built = await withWeightsRead(predictor.model, () =>
      buildOnnx(predictor.model, card, { preprocessing: request.preprocessing }),
    );
    const fp32 = encodeModel(built.parts);
    const int8 =
      request.format === 'onnx-int8' ? await quantized(predictor, built.parts, request, context.signal) : null;
    const bytes = int8?.bytes ?? fp32;
    const session = await openOnnxSession(bytes);
    let worst = 0;
    let same = 0;
    const onnxPredictions: SamplePrediction[] = [];
    const loupePredictions: SamplePrediction[] = [];
    for (let start = 0; start < samples.length; start += PARITY_CHUNK) {
      throwIfCancelled(context.signal);
      const chunk = await framesOf(samples.slice(start, start + PARITY_CHUNK));
      const result = await checkOnnxParity(predictor, session, chunk, request.preprocessing, PARITY_CHUNK);
      worst = Math.max(worst, result.maxAbsDiff);
      same += result.samePredictions;
      onnxPredictions.push(...result.onnxPredictions);
      loupePredictions.push(...result.loupePredictions);
      context.progress({ done: start + chunk.length, total: samples.length });
    }
    await session.release();
    const accuracyFp32 = accuracy(loupePredictions, samples);
    const accuracyInt8 = accuracy(onnxPredictions, samples);
    const sizeRatio = bytes.length / fp32.length;
    const passed = int8
      ? sizeRatio <= INT8_MAX_SIZE_RATIO &&
        (accuracyFp32 === null || accuracyInt8! >= accuracyFp32 - INT8_MAX_ACCURACY_DROP)
      : worst <= FP32_MAX_ABS_DIFF && same === samples.length;
    const parity: ExportParity = {
      split: request.split,
      images: samples.length,
      runtime: `onnxruntime-node ${ort.env.versions.node ?? ''} (CPU)`.trim(),
      maxAbsDiff: worst,
      tolerance: int8 ? null : FP32_MAX_ABS_DIFF,
      samePredictions: same,
      passed,
      ...(int8
        ? {
            int8: {
              calibrationImages: int8.images,
              calibrationMethod: request.calibrationMethod,
              fp32Bytes: fp32.length,
              sizeRatio,
              accuracyFp32,
              accuracyInt8,
            },
          }
        : {}),
    };
    if (!passed) {
      const what = int8
        ? `the int8 model is ${sizeRatio.toFixed(2)}× the fp32 file (at most ${INT8_MAX_SIZE_RATIO}) with accuracy ${accuracyInt8 ?? 'n/a'} against ${accuracyFp32 ?? 'n/a'} in fp32`
        : `max |difference| ${worst.toExponential(2)}, ${same} of ${samples.length} predictions the same`;
      throw new LoupeError(
        'INTERNAL',
        `The ${request.format} export does not meet its check (${what}); no bundle was written.${int8 ? ' Try more calibration images or the other calibration method.' : " Please report this model's architecture."}`,
      );
    }
    await writeBundle(request.outDir, {
      [BUNDLE_FILES.model]: bytes,
      [BUNDLE_FILES.card]: JSON.stringify(bundleCard(card, { ...built, bytes }, request, parity), null, 2),
      [BUNDLE_FILES.cardPage]: modelCardMarkdown(card, {
        format: request.format,
        precision: int8 ? 'int8 QDQ' : 'fp32',
        preprocessingBaked: request.preprocessing,
        input: built.input,
        output: built.output,
        parity,
        files: [...Object.values(BUNDLE_FILES), ...Object.keys(extra)],
      }),
      [BUNDLE_FILES.python]: PYTHON_RUNNER,
      [BUNDLE_FILES.node]: NODE_RUNNER,
      ...extra,
    });
    return {
      outDir: request.outDir,
      format: request.format,
      files: [...Object.values(BUNDLE_FILES), ...Object.keys(extra)],
      modelBytes: bytes.length,
      parity,
    };
  } finally {
    predictor.dispose();
  }
}
