/**
 * The engine's export method: a model folder → a bundle folder (model.onnx, model-card.json with
 * the I/O description and the parity numbers, run_onnx.py and run_onnx.mjs), after ONNX Runtime
 * has run the export on the given images and its results were compared with the Predictor's.
 * The bundle is written in a staging folder and renamed into place: a reader sees all or nothing.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { LoupeError, MAX_PARITY_IMAGES, type DecodedFrame, type ExportReply, type ModelCard } from '../../contract/index';
import type { EngineParsedRequestOf } from '../../contract/engine-protocol';
import { throwIfCancelled } from '../engine/runtime';
import type { MethodContext } from '../engine/runtime';
import { readTrainingFrame } from '../decode/frame-reader';
import { exportOnnx, type OnnxExport } from '../export/onnx-export';
import { checkOnnxParity, FP32_MAX_ABS_DIFF, openOnnxSession } from '../export/onnx-parity';
import { NODE_RUNNER } from '../export/runner-node';
import { PYTHON_RUNNER } from '../export/runner-python';
import { Predictor } from '../train/predictor';

export const BUNDLE_FILES = { model: 'model.onnx', card: 'model-card.json', python: 'run_onnx.py', node: 'run_onnx.mjs' } as const;
/** Frames decoded and compared at a time. */
const PARITY_CHUNK = 8;

/** The bundle's card: Loupe's card without anything that could name a patient, and the export's own facts. */
function bundleCard(card: ModelCard, exported: OnnxExport, baked: boolean, parity: ExportReply['parity']): object {
  return {
    format: 'loupe-export',
    version: 1,
    onnx: { opset: 17, irVersion: 8, precision: 'fp32', layout: 'NCHW', preprocessingBaked: baked, input: exported.input, output: exported.output },
    parity,
    // The dataset block holds hashes and counts only; image paths and DICOM tags never enter a card.
    loupe: {
      task: card.task,
      classes: card.classes,
      model: card.model,
      input: card.input,
      output: card.output,
      preprocessing: card.preprocessing,
      metrics: card.metrics ? { ...card.metrics } : null,
      dataset: card.dataset,
      run: card.run,
      versions: card.versions,
      ...(card.detection ? { detection: card.detection } : {}),
      ...(card.verification ? { verification: card.verification } : {}),
    },
    runtimes: { onnxruntimeNode: ort.env.versions.node ?? 'unknown' },
  };
}

async function framesOf(request: EngineParsedRequestOf<'export'>): Promise<DecodedFrame[]> {
  const samples = request.dataset.samples.slice(0, MAX_PARITY_IMAGES);
  return Promise.all(samples.map((s) => ('frame' in s.image ? s.image.frame : readTrainingFrame(s.image.path, s.image.frameIndex))));
}

export async function exportModel(request: EngineParsedRequestOf<'export'>, context: MethodContext<'export'>): Promise<ExportReply> {
  if (existsSync(request.outDir) && !request.force) throw new LoupeError('CONFLICT', `${request.outDir} already exists; choose another folder or pass --force to replace it.`);
  const predictor = await Predictor.load(request.modelDir);
  try {
    const exported = exportOnnx(predictor.model, predictor.card, { preprocessing: request.preprocessing });
    const session = await openOnnxSession(exported.bytes);
    const frames = await framesOf(request);
    let worst = 0;
    let same = 0;
    for (let start = 0; start < frames.length; start += PARITY_CHUNK) {
      throwIfCancelled(context.signal);
      const chunk = frames.slice(start, start + PARITY_CHUNK);
      const result = await checkOnnxParity(predictor, session, chunk, request.preprocessing, PARITY_CHUNK);
      worst = Math.max(worst, result.maxAbsDiff);
      same += result.samePredictions;
      context.progress({ done: start + chunk.length, total: frames.length });
    }
    await session.release();
    const parity = {
      split: request.split,
      images: frames.length,
      runtime: `onnxruntime-node ${ort.env.versions.node ?? ''} (CPU)`.trim(),
      maxAbsDiff: worst,
      tolerance: FP32_MAX_ABS_DIFF,
      samePredictions: same,
      passed: worst <= FP32_MAX_ABS_DIFF && same === frames.length,
    };
    if (!parity.passed) {
      throw new LoupeError('INTERNAL', `The ONNX export differs from Loupe's predictions (max |difference| ${worst.toExponential(2)}, ${same} of ${frames.length} predictions the same); no bundle was written. Please report this model's architecture.`);
    }
    await writeBundle(request.outDir, {
      [BUNDLE_FILES.model]: exported.bytes,
      [BUNDLE_FILES.card]: JSON.stringify(bundleCard(predictor.card, exported, request.preprocessing, parity), null, 2),
      [BUNDLE_FILES.python]: PYTHON_RUNNER,
      [BUNDLE_FILES.node]: NODE_RUNNER,
    });
    return { outDir: request.outDir, format: request.format, files: Object.values(BUNDLE_FILES), modelBytes: exported.bytes.length, parity };
  } finally {
    predictor.dispose();
  }
}

async function writeBundle(outDir: string, files: Record<string, Uint8Array | string>): Promise<void> {
  const parent = path.dirname(outDir);
  await fs.mkdir(parent, { recursive: true });
  const staging = path.join(parent, `.${path.basename(outDir)}.${randomBytes(6).toString('hex')}.tmp`);
  await fs.mkdir(staging);
  try {
    for (const [name, content] of Object.entries(files)) await fs.writeFile(path.join(staging, name), content);
    await fs.rm(outDir, { recursive: true, force: true });
    await fs.rename(staging, outDir);
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    throw error;
  }
}
