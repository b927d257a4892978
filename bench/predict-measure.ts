/**
 * The prediction benchmark's measurements, one function each: the decode pool alone; Loupe's
 * engine on decoded frames and Loupe's model on prepared tensors; ONNX Runtime on the same frames
 * and on the same prepared tensors. The model measurements are passes that `interleaved` runs
 * round-robin. The PyTorch twin's run is in predict-twin.ts, `loupe predict` end to end in
 * predict-end-to-end.ts.
 */
import * as ort from 'onnxruntime-node';
import { packPreparedFrames, type DecodedFrame, type ModelCard, type PreprocessingSpec } from '../contract/index';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../ml/backends/select';
import { prepareFrames, preprocessFrame } from '../ml/data/preprocessing';
import { BundlePredictor } from '../ml/export/bundle-predictor';
import { outputOfBatch } from '../ml/model-io/inference-model';
import { Predictor } from '../ml/train/predictor';
import { onnxInput } from '../ml/export/onnx-parity';
import { predictionSessionOptions } from '../ml/export/session-options';
import type { EngineSupervisor } from '../main/engine/supervisor';
import type { DecodePool } from '../main/services/imaging/decode-pool';
import { walkFiles } from '../main/services/imaging/file-walk';
import { engineFrame } from '../main/services/batch/batch-job';
import { InputBuffers, predictPayload, readAheadFiles } from '../main/services/batch/frame-inputs';
import { BENCH_GROUP } from './predict-fixtures';
import { median } from './stats';

export const rate = (count: number, ms: number): number => (count * 1000) / ms;

/**
 * Reads every file of `folder` through the decode pool as a batch run does (every frame prepared
 * in the worker as `spec` says), with as many reads in flight as a batch run keeps
 * (readAheadFiles), taken in order as a batch run takes them (batch-job.ts); timed, with the CPU
 * time it took (this process: its decode workers and the thread that feeds them). Not
 * `Promise.race` over the reads in flight: each race adds a reaction to every read still
 * pending, hundreds a file, and that work on this thread cost decode-only 12–45 % of its rate on
 * the small PNGs (read-ahead 128 and 256; fresh pools, alternated).
 */
export async function decodeOnly(
  pool: DecodePool,
  folder: string,
  spec: PreprocessingSpec,
): Promise<{ frames: number; ms: number; cpuMs: number }> {
  const window: Promise<number>[] = [];
  const readAhead = readAheadFiles(spec);
  let frames = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  for await (const file of walkFiles([folder], new AbortController().signal)) {
    window.push(pool.readPrepared(file.path, spec).then((r) => r.info.frames));
    if (window.length >= readAhead) frames += await window.shift()!;
  }
  for (const read of window) frames += await read;
  const ms = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  return { frames, ms, cpuMs: (user + system) / 1000 };
}

/** The folder's file count, and its first `keep` frames as the engine takes them (the model rows' input). */
export async function firstFrames(
  pool: DecodePool,
  folder: string,
  keep: number,
): Promise<{ files: number; kept: DecodedFrame[] }> {
  let files = 0;
  const kept: DecodedFrame[] = [];
  for await (const file of walkFiles([folder], new AbortController().signal)) {
    files++;
    if (kept.length >= keep) continue;
    for (const f of (await pool.read(file.path)).frames) if (kept.length < keep) kept.push(engineFrame(f));
  }
  return { files, kept };
}

/** One timed pass of a measurement over its frames or tensors: how many images, how long. */
export type Pass = () => Promise<{ images: number; ms: number }>;

/** A measurement ready to run passes (loaded and warmed up), and what frees it. */
export interface Measurement {
  pass: Pass;
  dispose(): Promise<void> | void;
}

const timed = async (images: number, run: () => Promise<void>): Promise<{ images: number; ms: number }> => {
  const started = performance.now();
  await run();
  return { images, ms: performance.now() - started };
};

/** Splits `items` into a batch run's groups. */
const groupsOf = <T>(items: readonly T[]): T[][] => {
  const groups: T[][] = [];
  for (let i = 0; i < items.length; i += BENCH_GROUP) groups.push(items.slice(i, i + BENCH_GROUP));
  return groups;
};

/**
 * The images a model row's pass runs at least: its groups over again. A batch run predicts without
 * a pause; a pass of 16 groups (512 frames, about 70 ms) charged the engine row its pipeline's
 * filling and draining each time and left out what a long run pays (the garbage collector's
 * cycles).
 */
const PASS_IMAGES = 4096;

/** `groups` over again until they hold PASS_IMAGES images; also how many images that is. */
function repeated<T>(groups: readonly T[], imagesOf: (group: T) => number): { groups: T[]; images: number } {
  const once = groups.reduce((n, g) => n + imagesOf(g), 0);
  const times = Math.max(1, Math.ceil(PASS_IMAGES / Math.max(1, once)));
  return { groups: Array.from({ length: times }, () => groups).flat(), images: times * once };
}

/**
 * The pause before each pass. ONNX Runtime's threads, where they may spin (its default), go on
 * spinning for tens of milliseconds after a run: a pass started at once shares its cores with them
 * (measured: ONNX Runtime without spinning, run right after the spinning session, 3.1 ms a group of
 * 32 instead of 2.7).
 */
const SETTLE_MS = 150;

/**
 * Runs the measurements' passes interleaved, `rounds` times round-robin, and gives each one's
 * median rate (images/s) and its rate in each round. On a shared machine the load comes and goes
 * within seconds; alternating spreads it over every measurement alike, and the median leaves out
 * the rounds it hit hardest. Each pass starts after SETTLE_MS, so no pass pays for the one before it.
 */
export async function interleaved(
  measurements: Record<string, Measurement>,
  rounds: number,
): Promise<{ median: Record<string, number>; perRound: Record<string, number[]> }> {
  const rates: Record<string, number[]> = Object.fromEntries(Object.keys(measurements).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++)
    for (const [name, m] of Object.entries(measurements)) {
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const { images, ms } = await m.pass();
      rates[name]!.push(rate(images, ms));
    }
  return {
    median: Object.fromEntries(Object.entries(rates).map(([name, values]) => [name, median(values)])),
    perRound: rates,
  };
}

/**
 * The median over rounds of `a`'s rate over `b`'s in the same round. Within a run the machine's
 * speed drifts (every row by up to 30 % between rounds, together): a ratio of passes seconds
 * apart leaves the drift out, where a ratio of two medians may take them from different rounds.
 */
export function roundByRound(a: readonly number[], b: readonly number[]): number {
  return median(a.map((v, i) => v / b[i]!));
}

/**
 * Loupe's engine (worker, the runtime it picks, softmax) on frames prepared as a batch run's decode
 * workers prepare them, a batch run's group per call, two calls in flight: what a batch run asks
 * of the engine.
 */
export async function engineFrames(
  engine: EngineSupervisor,
  modelDir: string,
  card: ModelCard,
  frames: readonly DecodedFrame[],
): Promise<Measurement & { runtime: string }> {
  const groups = groupsOf(frames).map((group) => prepareFrames(group, card.preprocessing));
  // Warm-up: loads the model and compiles kernels.
  const { runtime } = await engine.call('predict', {
    modelDir,
    prepared: { input: groups[0]!.input, frames: packPreparedFrames(groups[0]!.frames) },
  });
  const buffers = new InputBuffers();
  const pass = repeated(groups, (g) => g.frames.length);
  return {
    runtime: runtime ?? 'engine',
    pass: () =>
      timed(pass.images, async () => {
        // As a batch run (batch-job.ts): each call's input written into a buffer of its own, moved
        // to the engine and given back; the next group sent before the last one's answer is back.
        let inFlight: Promise<unknown> | null = null;
        for (const group of pass.groups) {
          const input = buffers.take(group.input.length);
          input.set(group.input);
          const { sent, transfer } = predictPayload({ prepared: { input, frames: group.frames } });
          const next = engine
            .call('predict', { modelDir, ...sent }, { transfer })
            .then((reply) => reply.input && buffers.giveBack(reply.input));
          if (inFlight) await inFlight;
          inFlight = next;
        }
        await inFlight;
      }),
    dispose: () => {},
  };
}

/** ONNX Runtime behind Loupe's own preprocessing and outputs (what `--model BUNDLE` runs), in this process. */
export async function bundleFrames(
  bundleDir: string,
  frames: readonly DecodedFrame[],
  threads: number,
): Promise<Measurement> {
  const predictor = await BundlePredictor.load(bundleDir, threads);
  const groups = groupsOf(frames);
  await predictor.predict(groups[0]!);
  const pass = repeated(groups, (g) => g.length);
  return {
    pass: () =>
      timed(pass.images, async () => {
        for (const g of pass.groups) await predictor.predict(g);
      }),
    dispose: () => predictor.dispose(),
  };
}

/** The prepared model input of `frames` (NCHW float32), BENCH_GROUP images a tensor. */
export function preparedTensors(card: ModelCard, frames: readonly DecodedFrame[]): ort.Tensor[] {
  return groupsOf(frames).map((group) => onnxInput(card, group, false));
}

/**
 * ONNX Runtime's session alone on prepared tensors; also its logits of the first tensor. With
 * `loupeOptions`, the session options the engine predicts with (threads that do not spin), else
 * ONNX Runtime's defaults.
 */
export async function onnxTensors(
  onnxFile: string,
  tensors: readonly ort.Tensor[],
  names: { input: string; output: string },
  threads: number,
  loupeOptions = false,
): Promise<Measurement & { firstLogits: Float32Array }> {
  const session = await ort.InferenceSession.create(
    onnxFile,
    loupeOptions
      ? predictionSessionOptions(threads)
      : { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' },
  );
  const first = await session.run({ [names.input]: tensors[0]! });
  const pass = repeated(tensors, (t) => t.dims[0]!);
  return {
    firstLogits: Float32Array.from(first[names.output]!.data as Float32Array),
    pass: () =>
      timed(pass.images, async () => {
        for (const t of pass.groups) await session.run({ [names.input]: t });
      }),
    dispose: () => session.release(),
  };
}

/**
 * Loupe's model alone on the same prepared tensors (channels last, as tfjs takes them), in this
 * process on the backend the engine picks: the row to hold against ONNX Runtime's session alone.
 * Left out: preprocessing, softmax and the engine worker's messages.
 */
export async function loupeTensors(
  modelDir: string,
  card: ModelCard,
  frames: readonly DecodedFrame[],
): Promise<Measurement & { backend: string; firstLogits: Float32Array }> {
  const backend = await initBackend(null);
  const predictor = await Predictor.load(modelDir);
  const model = predictor.inference;
  const { rows, columns, channels } = card.input;
  const tensors = groupsOf(frames).map((group) => {
    const input = new Float32Array(group.length * rows * columns * channels);
    group.forEach((frame, i) =>
      input.set(preprocessFrame(frame, card.preprocessing).input, i * rows * columns * channels),
    );
    return tf.tensor4d(input, [group.length, rows, columns, channels]);
  });
  const run = async (x: tf.Tensor4D): Promise<Float32Array> => {
    const out = outputOfBatch(model, x) as tf.Tensor;
    try {
      return (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
  };
  const firstLogits = await run(tensors[0]!);
  const pass = repeated(tensors, (t) => t.shape[0]);
  return {
    backend: backend.backend,
    firstLogits,
    pass: () =>
      timed(pass.images, async () => {
        for (const t of pass.groups) await run(t);
      }),
    dispose: () => {
      tf.dispose(tensors);
      predictor.dispose();
    },
  };
}
