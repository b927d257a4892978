/**
 * `npm run bench:predict`: how fast `loupe predict` is, beside what bounds it, measured in one run.
 * For a folder of small PNGs (64², 8-bit) and one of real-size CT DICOM (512², 16-bit):
 *   - decode-only: the decode pool alone (as many workers as `loupe predict` starts), with a batch
 *     run's read-ahead, each frame prepared in the worker as the model card says (as a batch run);
 *   - model-only: Loupe's engine (its worker, and the runtime it picks for the model) on frames
 *     prepared so, a batch run's group of frames per call (softmax included), and the engine's own
 *     tfjs graph alone on the prepared tensors (in this process, on the engine's backend);
 *   - ONNX Runtime: the same model exported by `loupe export`, on the same frames through the same
 *     preprocessing (what `--model BUNDLE` runs), and its session alone on the prepared tensors
 *     (with ONNX Runtime's defaults, and with the engine's options: threads that do not spin);
 *   - PyTorch: a twin with the same weights (bench/predict-twin.ts), on the same prepared tensors;
 * The model rows run interleaved, one pass each in turn for `--rounds` rounds, and report the
 * median pass: a shared machine's load then weighs on all of them alike. A pass runs the
 * `--model-frames` frames over again up to 4,096 images, as a batch run predicts without pause.
 *   - end-to-end: `loupe predict --model DIR` as a user runs it, with the peak resident memory
 *     of its process tree and its CPU time per image beside decode-only's (how far the model and
 *     the run's own work can hide behind decoding); and that memory again for a small and a large
 *     folder. Decode-only, a one-file run and the folder's run go in turn, `--e2e-rounds` times,
 *     and their ratios are each round's (medians): one pass of either alone swings with the
 *     machine's load.
 * The model is a freshly initialised small-cnn (64² grey input, 2 classes) saved as a Loupe model
 * folder: speed does not depend on what the weights learnt. Not a test: numbers, never pass/fail.
 *
 *   npm run bench:predict -- [--png 10000] [--dicom 500] [--memory 1000,10000] [--model-frames 512]
 *                            [--rounds 5] [--e2e-rounds 3] [--threads N] [--skip-torch] [--skip-memory]
 *                            [--json]
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { exportRequestSchema } from '../contract/index';
import { readExportBundle, ONNX_MODEL } from '../base/export-bundle';
import { saveTestModel, testFrames } from '../ml/export/export-test-support';
import { exportModel } from '../ml/methods/export';
import { loadModelFolder } from '../ml/model-io/model-folder';
import { appRoot } from '../main/app/paths';
import { DecodePool } from '../main/services/imaging/decode-pool';
import { decodeWorkerEntry } from '../main/services/imaging/index';
import { realServices } from '../tests/helpers/services';
import { BENCH_PREPROCESSING, ensureCtDicom, ensureSmallPngs } from './predict-fixtures';
import { endToEnd, pipelineRounds } from './predict-end-to-end';
import {
  bundleFrames,
  decodeOnly,
  firstFrames,
  engineFrames,
  interleaved,
  roundByRound,
  loupeTensors,
  onnxTensors,
  preparedTensors,
} from './predict-measure';
import { torchOnly, writeTorchTwin } from './predict-twin';
import { print, type SetResult } from './predict-report';

const GIB = 1024 ** 3;

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1]! : fallback;
}
function count(name: string, fallback: number): number {
  const value = Number(option(name, String(fallback)));
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} takes a positive whole number`);
  return value;
}

const plan = {
  png: count('png', 10_000),
  dicom: count('dicom', 500),
  memory: option('memory', '1000,10000').split(',').map(Number),
  modelFrames: count('model-frames', 512),
  rounds: count('rounds', 5),
  e2eRounds: count('e2e-rounds', 3),
  threads: count('threads', os.availableParallelism()),
  torch: !process.argv.includes('--skip-torch'),
  memoryRows: !process.argv.includes('--skip-memory'),
};

async function main(): Promise<void> {
  const loadBefore = os.loadavg()[0]!;
  await tf.setBackend('cpu');
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'loupe-bench-predict-'));
  const { services, log } = realServices();
  // Sized as `loupe predict`'s own pool (headless: every core), which the end-to-end rows run.
  const pool = new DecodePool({ entry: decodeWorkerEntry(), log, headless: true });
  try {
    process.stderr.write('making the model, its ONNX export and its PyTorch twin…\n');
    const modelDir = path.join(scratch, 'model');
    const bundleDir = path.join(scratch, 'bundle');
    await saveTestModel(modelDir, {
      task: 'classification',
      model: { architecture: 'small-cnn' },
      classes: ['normal', 'lesion'],
      preprocessing: BENCH_PREPROCESSING,
    });
    const samples = testFrames(4, 64, 64).map((frame, i) => ({
      id: String(i),
      split: 'test' as const,
      image: { frame },
      label: i % 2,
    }));
    // Preprocessing not baked in: ONNX Runtime and PyTorch then take the very same prepared tensors.
    await exportModel(
      exportRequestSchema.parse({
        modelDir,
        outDir: bundleDir,
        preprocessing: false,
        dataset: { task: 'classification', classes: ['normal', 'lesion'], samples },
        split: 'test',
      }),
      { signal: new AbortController().signal, progress: () => {} },
    );
    const bundle = (await readExportBundle(bundleDir))!;
    const { model, card } = await loadModelFolder(modelDir);
    const twin = path.join(scratch, 'twin');
    writeTorchTwin(model, twin);
    model.dispose();

    const sets = [
      { name: `${plan.png} PNG 64² 8-bit`, folder: await ensureSmallPngs(plan.png) },
      { name: `${plan.dicom} CT DICOM 512² 16-bit`, folder: await ensureCtDicom(plan.dicom) },
    ];
    const cli = path.join(appRoot(), 'bin', 'loupe.mjs');
    const results: SetResult[] = [];
    for (const set of sets) {
      const decoded = await firstFrames(pool, set.folder, plan.modelFrames);
      process.stderr.write(`${set.name}: model-only (engine, ONNX Runtime, PyTorch)…\n`);
      const tensors = preparedTensors(card, decoded.kept);
      const names = { input: bundle.inputName, output: bundle.outputName };
      const measured = {
        engine: await engineFrames(services.engine, modelDir, card, decoded.kept),
        bundle: await bundleFrames(bundleDir, decoded.kept, plan.threads),
        onnx: await onnxTensors(path.join(bundleDir, ONNX_MODEL), tensors, names, plan.threads),
        onnxQuiet: await onnxTensors(path.join(bundleDir, ONNX_MODEL), tensors, names, plan.threads, true),
        loupe: await loupeTensors(modelDir, card, decoded.kept),
      };
      const { median: rates, perRound } = await interleaved(measured, plan.rounds);
      const { onnx, loupe, engine } = measured;
      const loupeVsOnnxMaxDiff = Math.max(...loupe.firstLogits.map((v, i) => Math.abs(v - onnx.firstLogits[i]!)));
      for (const m of Object.values(measured)) await m.dispose();
      const torch = plan.torch
        ? torchOnly(twin, tensors, scratch, plan.threads, plan.rounds)
        : { unavailable: 'skipped' };
      process.stderr.write(`${set.name}: decode-only, loupe predict on one file and on the folder, in turn…\n`);
      // What every run pays before its first file (CLI, engine worker, decode pool, model load): one file predicted.
      const one = path.join(scratch, `one-${results.length}`);
      mkdirSync(one);
      const first = firstFile(set.folder);
      copyFileSync(first, path.join(one, path.basename(first)));
      const pipeline = await pipelineRounds(
        // A fresh pool each round, as each `loupe predict` starts its own: a pool's workers speed up
        // over their first thousands of files (measured: 3,900–4,000 PNGs/s over a fresh pool's
        // first 10,000, 5,500–5,700 over its next), which a run from the command line never reaches.
        // Its workers start before the clock does (one file each), as the end-to-end rate "after
        // start" leaves out a one-file run's time.
        async () => {
          const fresh = new DecodePool({ entry: decodeWorkerEntry(), log, headless: true });
          try {
            const spec = card.preprocessing;
            await Promise.all(Array.from({ length: fresh.concurrency }, () => fresh.readPrepared(first, spec)));
            return await decodeOnly(fresh, set.folder, spec);
          } finally {
            await fresh.close();
          }
        },
        { cli, modelDir, folder: set.folder, oneFileFolder: one, out: path.join(scratch, `out-${results.length}`) },
        plan.e2eRounds,
      );
      results.push({
        name: set.name,
        files: decoded.files,
        modelOnly: rates.engine!,
        modelOnlyVsOnnxByRound: {
          defaults: roundByRound(perRound.engine!, perRound.onnx!),
          quiet: roundByRound(perRound.engine!, perRound.onnxQuiet!),
        },
        engineRuntime: engine.runtime,
        onnxFrames: rates.bundle!,
        onnxTensors: rates.onnx!,
        onnxTensorsQuiet: rates.onnxQuiet!,
        loupeTensors: rates.loupe!,
        loupeBackend: loupe.backend,
        loupeVsOnnxMaxDiff,
        torch: 'rate' in torch ? torch.rate : torch.unavailable,
        torchVsOnnxMaxDiff:
          'rate' in torch ? Math.max(...torch.firstLogits.map((v, i) => Math.abs(v - onnx.firstLogits[i]!))) : null,
        pipeline,
      });
    }
    const memory: { files: number; peakRssGiB: number; seconds: number }[] = [];
    if (plan.memoryRows)
      for (const n of plan.memory) {
        process.stderr.write(`memory: loupe predict on ${n} small PNGs…\n`);
        const folder = await ensureSmallPngs(n);
        const e2e = await endToEnd(cli, modelDir, folder, path.join(scratch, `memory-${n}`));
        memory.push({ files: n, peakRssGiB: e2e.peakRss / GIB, seconds: e2e.ms / 1000 });
      }
    const loadAfter = os.loadavg()[0]!;
    if (process.argv.includes('--json')) {
      console.log(
        JSON.stringify({ plan, results, memory, loadBefore, loadAfter, cores: os.availableParallelism() }, null, 2),
      );
      return;
    }
    print(results, memory, { ...plan, loadBefore, loadAfter });
  } finally {
    await pool.close();
    await services.dispose();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The first file under `folder` (the fixtures are folders of part-NNN folders). */
function firstFile(folder: string): string {
  const part = path.join(folder, readdirSync(folder).sort()[0]!);
  return path.join(part, readdirSync(part).sort()[0]!);
}

await main();
