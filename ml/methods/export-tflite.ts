/**
 * The engine's export method for `tflite`: a model folder → a bundle (model.tflite, model-card.json
 * with the I/O description and the parity numbers, model-card.md), after Arm NN (its TfLiteParser
 * and CpuRef backend, see armnn-runner.ts) has run the file on the given images and its results
 * were compared with the Predictor's. No interpreter, no bundle: an unchecked file is never written.
 */
import { existsSync } from 'node:fs';
import {
  LoupeError,
  MAX_PARITY_IMAGES,
  type ExportParity,
  type ExportReply,
  type ModelCard,
} from '../../contract/index';
import type { EngineParsedRequestOf } from '../../contract/engine/protocol';
import { throwIfCancelled, type MethodContext } from '../worker/runtime';
import { modelCardMarkdown } from '../export/card-page';
import { framesOf, loupeFacts, writeBundle } from '../export/bundle-folder';
import { FP32_MAX_ABS_DIFF } from '../export/prediction-compare';
import { exportTflite, type TfliteModel } from '../export/tflite/tflite-export';
import { TFLITE_SCHEMA_VERSION } from '../export/tflite/tflite-graph';
import { checkTfliteParity } from '../export/tflite/tflite-parity';
import { Predictor } from '../train/predictor';

export const TFLITE_FILES = { model: 'model.tflite', card: 'model-card.json', cardPage: 'model-card.md' } as const;

/** Images per Arm NN call: one Python process loads the network once for them. */
const ARMNN_CHUNK = 32;

type ExportRequest = EngineParsedRequestOf<'export'>;

/** What the bundle card and the parity line name as the checking runtime. */
function runtimeName(armnnVersion: string): string {
  return `Arm NN ${armnnVersion} (TfLiteParser, CpuRef backend)`;
}

async function checkParity(
  predictor: Predictor,
  bytes: Uint8Array,
  request: ExportRequest,
  context: MethodContext<'export'>,
): Promise<ExportParity> {
  const samples = request.dataset.samples.filter((s) => s.split === request.split).slice(0, MAX_PARITY_IMAGES);
  let worst = 0;
  let same = 0;
  let version = '';
  for (let start = 0; start < samples.length; start += ARMNN_CHUNK) {
    throwIfCancelled(context.signal);
    const frames = await framesOf(samples.slice(start, start + ARMNN_CHUNK));
    const result = await checkTfliteParity(predictor, bytes, frames);
    worst = Math.max(worst, result.maxAbsDiff);
    same += result.samePredictions;
    version = result.armnnVersion;
    context.progress({ done: start + frames.length, total: samples.length });
  }
  return {
    split: request.split,
    images: samples.length,
    runtime: runtimeName(version),
    maxAbsDiff: worst,
    tolerance: FP32_MAX_ABS_DIFF,
    samePredictions: same,
    passed: worst <= FP32_MAX_ABS_DIFF && same === samples.length,
  };
}

function bundleCard(card: ModelCard, exported: TfliteModel, parity: ExportParity): object {
  return {
    format: 'loupe-export',
    version: 1,
    tflite: {
      schemaVersion: TFLITE_SCHEMA_VERSION,
      precision: 'fp32',
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

export async function exportTfliteBundle(
  request: ExportRequest,
  context: MethodContext<'export'>,
): Promise<ExportReply> {
  if (existsSync(request.outDir) && !request.force)
    throw new LoupeError(
      'CONFLICT',
      `${request.outDir} already exists; choose another folder or pass --force to replace it.`,
    );
  const predictor = await Predictor.load(request.modelDir);
  try {
    const exported = exportTflite(predictor.model, predictor.card);
    const parity = await checkParity(predictor, exported.bytes, request, context);
    if (!parity.passed)
      throw new LoupeError(
        'INTERNAL',
        `The tflite export does not meet its check (max |difference| ${parity.maxAbsDiff.toExponential(2)}, ${parity.samePredictions} of ${parity.images} predictions the same); no bundle was written. Please report this model's architecture.`,
      );
    const files = Object.values(TFLITE_FILES);
    await writeBundle(request.outDir, {
      [TFLITE_FILES.model]: exported.bytes,
      [TFLITE_FILES.card]: JSON.stringify(bundleCard(predictor.card, exported, parity), null, 2),
      [TFLITE_FILES.cardPage]: modelCardMarkdown(predictor.card, {
        format: request.format,
        precision: 'fp32',
        preprocessingBaked: false,
        input: exported.input,
        output: exported.output,
        parity,
        files,
      }),
    });
    return { outDir: request.outDir, format: request.format, files, modelBytes: exported.bytes.length, parity };
  } finally {
    predictor.dispose();
  }
}
