/**
 * The engine's export method for `tflite`: a model folder → a bundle (model.tflite, model-card.json
 * with the I/O description and the parity numbers, model-card.md), after Arm NN (its TfLiteParser
 * and CpuRef backend, see armnn-runner.ts) has run the file on the given images and its results
 * were compared with the Predictor's. No interpreter, no bundle: an unchecked file is never written.
 * `tflite-int8` is calibrated on the training split (min–max, through Arm NN) and judged as the
 * ONNX int8 export is: accuracy within a point of Loupe's fp32, file at most 0.3× the fp32 one.
 */
import { existsSync } from 'node:fs';
import {
  INT8_MAX_ACCURACY_DROP,
  INT8_MAX_SIZE_RATIO,
  LoupeError,
  type ExportParity,
  type ExportReply,
  type ModelCard,
  type SamplePrediction,
} from '../../contract/index';
import type { EngineParsedRequestOf } from '../../contract/engine/protocol';
import { throwIfCancelled, type MethodContext } from '../worker/runtime';
import { modelCardMarkdown } from '../export/card-page';
import { accuracy, framesOf, loupeFacts, writeBundle } from '../export/bundle-folder';
import { FP32_MAX_ABS_DIFF } from '../export/prediction-compare';
import { withWeightsRead } from '../export/onnx-kernels';
import { encodeTflite, exportTflite, type TfliteModel } from '../export/tflite/tflite-export';
import { calibrateTflite, type Ranges } from '../export/tflite/tflite-calibrate';
import { TFLITE_SCHEMA_VERSION } from '../export/tflite/tflite-graph';
import { checkTfliteParity, tfliteInput } from '../export/tflite/tflite-parity';
import { quantizeTflite } from '../export/tflite/tflite-quantize';
import { Predictor } from '../train/predictor';

export const TFLITE_FILES = { model: 'model.tflite', card: 'model-card.json', cardPage: 'model-card.md' } as const;

/** Images per Arm NN call: one Python process loads the network once for them; progress moves between calls. */
const ARMNN_CHUNK = 4;
/**
 * Test images Arm NN checks at most, and training images int8 calibrates on at most. Its CpuRef
 * backend runs plain reference loops: measured here (2 shared cores) 0.7 s per image for a small
 * CNN at 128², 8 s for MobileNetV2 and 32 s for ResNet-18 at 224² (Loupe's wasm: 1.4 s). 16 images
 * keep a ResNet-18 check within about 9 minutes; the card records how many were used.
 */
export const MAX_TFLITE_PARITY_IMAGES = 16;
export const MAX_TFLITE_CALIBRATION_IMAGES = 32;

type ExportRequest = EngineParsedRequestOf<'export'>;

/** How the card names the int8 file's quantization. */
const INT8_PRECISION = 'int8 full-integer (per-channel weights, float input and output)';

/** What the bundle card and the parity line name as the checking runtime. */
function runtimeName(armnnVersion: string): string {
  return `Arm NN ${armnnVersion} (TfLiteParser, CpuRef backend)`;
}

/** What `tflite-int8` records beside the parity numbers. */
interface Int8Facts {
  fp32Bytes: number;
  bytes: number;
  calibrationImages: number;
}

async function checkParity(
  predictor: Predictor,
  bytes: Uint8Array,
  request: ExportRequest,
  context: MethodContext<'export'>,
  int8: Int8Facts | null,
): Promise<ExportParity> {
  const samples = request.dataset.samples.filter((s) => s.split === request.split).slice(0, MAX_TFLITE_PARITY_IMAGES);
  let worst = 0;
  let same = 0;
  let version = '';
  const tflitePredictions: SamplePrediction[] = [];
  const loupePredictions: SamplePrediction[] = [];
  for (let start = 0; start < samples.length; start += ARMNN_CHUNK) {
    throwIfCancelled(context.signal);
    const frames = await framesOf(samples.slice(start, start + ARMNN_CHUNK));
    const result = await checkTfliteParity(predictor, bytes, frames, context.signal);
    worst = Math.max(worst, result.maxAbsDiff);
    same += result.samePredictions;
    version = result.armnnVersion;
    tflitePredictions.push(...result.tflitePredictions);
    loupePredictions.push(...result.loupePredictions);
    context.progress({ done: start + frames.length, total: samples.length });
  }
  const common = { split: request.split, images: samples.length, runtime: runtimeName(version), maxAbsDiff: worst };
  if (!int8)
    return {
      ...common,
      tolerance: FP32_MAX_ABS_DIFF,
      samePredictions: same,
      passed: worst <= FP32_MAX_ABS_DIFF && same === samples.length,
    };
  const accuracyFp32 = accuracy(loupePredictions, samples);
  const accuracyInt8 = accuracy(tflitePredictions, samples);
  const sizeRatio = int8.bytes / int8.fp32Bytes;
  return {
    ...common,
    tolerance: null,
    samePredictions: same,
    passed:
      sizeRatio <= INT8_MAX_SIZE_RATIO &&
      (accuracyFp32 === null || accuracyInt8! >= accuracyFp32 - INT8_MAX_ACCURACY_DROP),
    int8: {
      calibrationImages: int8.calibrationImages,
      calibrationMethod: 'minmax',
      fp32Bytes: int8.fp32Bytes,
      sizeRatio,
      accuracyFp32,
      accuracyInt8,
    },
  };
}

/** The int8 graph, calibrated on the request's training images (a chunk at a time). */
async function quantized(
  predictor: Predictor,
  fp32: TfliteModel,
  request: ExportRequest,
  signal: AbortSignal,
): Promise<{ model: TfliteModel; images: number }> {
  if (request.calibrationMethod !== 'minmax')
    throw new LoupeError(
      'INVALID_REQUEST',
      `tflite-int8 calibrates with min–max ranges only; choose the minmax calibration method (not ${request.calibrationMethod}).`,
    );
  const samples = request.dataset.samples
    .filter((s) => s.split === 'train')
    .slice(0, Math.min(request.calibration, MAX_TFLITE_CALIBRATION_IMAGES));
  if (samples.length === 0)
    throw new LoupeError('INVALID_REQUEST', 'int8 calibration needs images in the training split; this task has none.');
  const ranges: Ranges = new Map();
  for (let start = 0; start < samples.length; start += ARMNN_CHUNK) {
    throwIfCancelled(signal);
    const frames = await framesOf(samples.slice(start, start + ARMNN_CHUNK));
    await calibrateTflite(fp32, tfliteInput(predictor, frames), frames.length, ranges, signal);
  }
  return { model: quantizeTflite(fp32, ranges), images: samples.length };
}

function bundleCard(card: ModelCard, exported: TfliteModel, parity: ExportParity, precision: string): object {
  return {
    format: 'loupe-export',
    version: 1,
    tflite: {
      schemaVersion: TFLITE_SCHEMA_VERSION,
      precision,
      layout: 'NHWC',
      batch: 1,
      preprocessingBaked: false,
      input: exported.input,
      output: exported.output,
    },
    parity,
    loupe: loupeFacts(card),
  };
}

/** `extra`: files the bundle carries beside the model (a verification model's gallery.json). */
export async function exportTfliteBundle(
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
    const fp32 = await withWeightsRead(predictor.model, () => exportTflite(predictor.model, predictor.card));
    const int8 = request.format === 'tflite-int8' ? await quantized(predictor, fp32, request, context.signal) : null;
    const exported = int8?.model ?? fp32;
    const bytes = int8 ? encodeTflite(int8.model) : fp32.bytes;
    const facts = int8 ? { fp32Bytes: fp32.bytes.length, bytes: bytes.length, calibrationImages: int8.images } : null;
    const parity = await checkParity(predictor, bytes, request, context, facts);
    const precision = int8 ? INT8_PRECISION : 'fp32';
    if (!parity.passed) {
      const what = parity.int8
        ? `the int8 file is ${parity.int8.sizeRatio.toFixed(2)}× the fp32 one (at most ${INT8_MAX_SIZE_RATIO}) with accuracy ${parity.int8.accuracyInt8 ?? 'n/a'} against ${parity.int8.accuracyFp32 ?? 'n/a'} in fp32`
        : `max |difference| ${parity.maxAbsDiff.toExponential(2)}, ${parity.samePredictions} of ${parity.images} predictions the same`;
      throw new LoupeError(
        'INTERNAL',
        `The ${request.format} export does not meet its check (${what}); no bundle was written.${int8 ? ' Try more calibration images.' : " Please report this model's architecture."}`,
      );
    }
    const files = [...Object.values(TFLITE_FILES), ...Object.keys(extra)];
    await writeBundle(request.outDir, {
      ...extra,
      [TFLITE_FILES.model]: bytes,
      [TFLITE_FILES.card]: JSON.stringify(bundleCard(predictor.card, exported, parity, precision), null, 2),
      [TFLITE_FILES.cardPage]: modelCardMarkdown(predictor.card, {
        format: request.format,
        precision,
        preprocessingBaked: false,
        input: exported.input,
        output: exported.output,
        parity,
        files,
      }),
    });
    return { outDir: request.outDir, format: request.format, files, modelBytes: bytes.length, parity };
  } finally {
    predictor.dispose();
  }
}
