/** The engine's train, evaluate and predict methods: thin adapters from the protocol to ml/train. */
import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  LoupeError,
  type EvaluateReply,
  type ModelCard,
  type PredictReply,
  type RunRecord,
} from '../../contract/index';
import type { EngineParsedRequestOf, EngineReplyOf } from '../../contract/engine/protocol';
import { prepareDataset } from '../data/dataset';
import type { MethodContext } from '../worker/runtime';
import { MODEL_CARD } from '../../base/model-folder-files';
import { ONNX_MODEL } from '../../base/export-bundle';
import { cosineSimilarity } from '../siamese/gallery';
import * as tf from '@tensorflow/tfjs';
import { activeBackend } from '../backends/select';
import { loadOneDnn } from '../backends/onednn/addon';
import { secondCoreAvailable } from '../parallel/data-parallel';
import { planThreads } from '../parallel/thread-plan';
import { runTraining } from '../train/loop';
import { ParallelTrainStep } from '../train/parallel-step';
import { readRunRecord } from '../../base/run-files';
import { predictBatchSize, Predictor } from '../train/predictor';
import { fasterForward } from '../train/faster-forward';
import type { BundlePredictor } from '../export/bundle-predictor';
import { LastLoaded } from '../worker/last-loaded';
import { cardContext, evaluateSplit } from '../train/tasks/evaluation';

/** Evaluation batch size (inference only). */
const EVALUATE_BATCH_SIZE = 32;

export async function train(
  request: EngineParsedRequestOf<'train'>,
  context: MethodContext<'train'>,
): Promise<RunRecord> {
  // A resumed run keeps the thread setting it started with (it is part of its recorded config).
  const config = request.config ?? (request.resume ? (await readRunRecord(request.runDir))?.config : undefined);
  const plan = config
    ? planThreads({
        requested: config.threads,
        task: config.task,
        loss: config.loss,
        batchSize: config.batchSize,
        inputPixels: config.preprocessing.rows * config.preprocessing.columns,
        backend: activeBackend()?.backend ?? tf.getBackend(),
        secondCore: secondCoreAvailable(),
        cores: os.availableParallelism(),
      })
    : undefined;
  const native = plan?.native ? loadOneDnn().addon : null;
  native?.setThreads(plan!.threads);
  const parallel =
    config && plan?.threads === 2 && !plan.native
      ? new ParallelTrainStep({
          task: config.task,
          loss: config.loss,
          numClasses: request.dataset.classes.length,
          ...(plan.minBatchToSplit ? { minBatchToSplit: plan.minBatchToSplit } : {}),
        })
      : null;
  try {
    return await runTraining(request, {
      signal: context.signal,
      progress: (p) => context.progress(p),
      ...(plan ? { threads: plan } : {}),
      ...(parallel ? { trainStep: parallel.step } : {}),
    });
  } finally {
    await parallel?.dispose();
    // Predictions after the run use every core again.
    native?.setThreads(0);
  }
}

export async function evaluate(
  request: EngineParsedRequestOf<'evaluate'>,
  context: MethodContext<'evaluate'>,
): Promise<EvaluateReply> {
  const predictor = await predictorFor(request.modelDir);
  const card = predictor.card;
  if (request.dataset.task !== card.task)
    throw new LoupeError('INVALID_REQUEST', `The model does ${card.task}; the dataset is for ${request.dataset.task}.`);
  if (request.dataset.classes.join('\n') !== card.classes.join('\n')) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `The model's classes (${card.classes.join(', ')}) differ from the dataset's (${request.dataset.classes.join(', ')}).`,
    );
  }
  const split = { ...request.dataset, samples: request.dataset.samples.filter((s) => s.split === request.split) };
  if (split.samples.length === 0) throw new LoupeError('INVALID_REQUEST', `The ${request.split} split has no images.`);
  checkOverrides(card.task, request);
  const data = await prepareDataset(split, card.preprocessing, { signal: context.signal });
  const outcome = await evaluateSplit(
    predictor.model,
    data,
    request.split,
    cardContext(card, { detection: request.detection, threshold: request.threshold }),
    {
      batchSize: EVALUATE_BATCH_SIZE,
      keepPredictions: true,
      signal: context.signal,
      onBatch: (done, total) => context.progress({ done, total }),
    },
  );
  return {
    report: outcome.report,
    predictions: outcome.predictions,
    ...(outcome.pairs ? { pairs: outcome.pairs } : {}),
  };
}

/** What predicts for `dir`: an exported bundle (model.onnx) through ONNX Runtime, loaded only when one is asked for; else the model folder's Predictor. */
export async function predictorOf(dir: string): Promise<Predictor | BundlePredictor> {
  return existsSync(path.join(dir, ONNX_MODEL))
    ? (await import('../export/bundle-predictor')).bundlePredictorFor(dir)
    : predictingPredictor(dir);
}

export async function loadPredictor(
  request: EngineParsedRequestOf<'loadPredictor'>,
): Promise<EngineReplyOf<'loadPredictor'>> {
  const predictor = await predictorOf(request.modelDir);
  return {
    task: predictor.card.task,
    runtime: predictor instanceof Predictor ? predictor.runtimeFor({ runtime: request.runtime }) : 'onnxruntime',
  };
}

export async function predict(
  request: EngineParsedRequestOf<'predict'>,
  context: MethodContext<'predict'>,
): Promise<PredictReply> {
  const predictor = await predictorOf(request.modelDir);
  const card = predictor.card;
  checkOverrides(card.task, request);
  if (request.pairs && card.task !== 'verification')
    throw new LoupeError('INVALID_REQUEST', `Pairs are scored by verification models; this model does ${card.task}.`);
  if (request.probabilities && (card.task !== 'segmentation' || !(predictor instanceof Predictor)))
    throw new LoupeError(
      'INVALID_REQUEST',
      'Probability maps come from a segmentation run’s own model folder, not from an exported bundle or another kind of model.',
    );
  if (request.embeddings && !(predictor instanceof Predictor))
    throw new LoupeError(
      'INVALID_REQUEST',
      'Embeddings come from a model folder trained by Loupe; an exported ONNX bundle gives predictions only.',
    );
  if (request.prepared && !(predictor instanceof Predictor))
    throw new LoupeError(
      'INVALID_REQUEST',
      'An exported ONNX bundle prepares frames itself, as its card says; send it the frames.',
    );
  const embeddings = request.embeddings ? ([] as Float32Array<ArrayBuffer>[]) : undefined;
  const options = {
    probabilities: request.probabilities ?? false,
    runtime: request.runtime,
    ...(embeddings ? { embeddings } : {}),
  };
  const { prepared } = request;
  const predictions = !(predictor instanceof Predictor)
    ? await predictor.predict(request.frames, context.signal, request.detection)
    : prepared
      ? await predictor.predictPrepared(prepared.input, prepared.frames, context.signal, request.detection, options)
      : await predictor.predict(request.frames, context.signal, request.detection, options);
  const reply: PredictReply = {
    task: card.task,
    classes: card.classes,
    predictions,
    runtime:
      predictor instanceof Predictor
        ? predictor.runtimeFor({ embeddings: Boolean(embeddings), runtime: request.runtime })
        : 'onnxruntime',
  };
  if (embeddings) reply.embeddings = embeddings;
  if (prepared?.giveBack) {
    reply.input = prepared.input;
    // Shared memory cannot be moved; it is shared already.
    if (prepared.input.buffer instanceof ArrayBuffer) context.moveInReply?.(prepared.input.buffer);
  }
  if (card.task === 'verification') {
    const threshold = request.threshold ?? decisionOf(card, request.modelDir).threshold;
    const embeddings = predictions.map((p) => ('embedding' in p ? p.embedding : new Float32Array()));
    reply.threshold = threshold;
    reply.pairs = (request.pairs ?? []).map(({ a, b }) => {
      const score = cosineSimilarity(embeddings[a]!, embeddings[b]!);
      return { a, b, score, distance: distanceOf(score), same: score >= threshold };
    });
  }
  return reply;
}

/** Euclidean distance between two unit embeddings with cosine similarity `score`. */
export function distanceOf(score: number): number {
  return Math.sqrt(Math.max(0, 2 - 2 * score));
}

/** A verification model's decision, or a clear error for a card without one. */
export function decisionOf(card: ModelCard, dir: string): NonNullable<ModelCard['verification']> {
  if (!card.verification)
    throw new LoupeError(
      'INVALID_REQUEST',
      `The model in ${dir} has no decision threshold in its card; train it again with this version of Loupe.`,
    );
  return card.verification;
}

function checkOverrides(
  task: ModelCard['task'],
  request: { detection?: unknown; threshold?: number | undefined },
): void {
  if (request.detection && task !== 'detection')
    throw new LoupeError('INVALID_REQUEST', `Detection settings were given for a ${task} model.`);
  if (request.threshold !== undefined && task !== 'verification')
    throw new LoupeError('INVALID_REQUEST', `A decision threshold was given for a ${task} model.`);
}

/** The model folder the worker used last (last-loaded.ts). */
const lastModel = new LastLoaded<Predictor>();

export async function predictorFor(dir: string): Promise<Predictor> {
  // Synchronous: a batch run calls predict hundreds of times a second, and an awaited stat leaves
  // the engine idle for its trip through libuv's thread pool on every call.
  const stat = statSync(path.join(dir, MODEL_CARD), { throwIfNoEntry: false });
  if (!stat) throw new LoupeError('NOT_FOUND', `${dir} is not a Loupe model folder (no ${MODEL_CARD}).`);
  return lastModel.get(dir, stat.mtimeMs, () => Predictor.load(dir));
}

/**
 * Loaded models whose prediction has tried ONNX Runtime, with that try: the export and its check
 * run once per load, and a call that arrives meanwhile (a batch run keeps two in flight) waits for
 * it rather than predicting on the engine while the check runs.
 */
const onnxTries = new WeakMap<Predictor, Promise<void>>();

/**
 * predictorFor, for prediction: the model step on ONNX Runtime where the model exports and agrees
 * with the engine (onnx-forward.ts), unless the engine is on a GPU and runs it faster there
 * (faster-forward.ts). Explanations and feature maps, which need the graph itself, take
 * predictorFor and never pay for the export.
 */
export async function predictingPredictor(dir: string): Promise<Predictor> {
  const predictor = await predictorFor(dir);
  let tried = onnxTries.get(predictor);
  if (!tried) {
    const say = (line: string) => console.error(`[engine] ${dir} ${line}`);
    tried = import('../export/onnx-forward')
      .then(async ({ onnxForward, checkInput }) => {
        const onnx = await onnxForward(predictor);
        const { rows, columns, channels } = predictor.card.input;
        const kept = await fasterForward(predictor.engineForward, onnx, {
          images: predictBatchSize(rows, columns),
          frameValues: rows * columns * channels,
          input: checkInput,
          say,
        }).catch((error: unknown) => {
          say(`predicts on ONNX Runtime; a pass failed as the two were timed: ${(error as Error).message}`);
          return onnx;
        });
        if (kept === onnx) predictor.useForward(onnx);
        else onnx.dispose();
      })
      .catch((error: unknown) =>
        say(`predicts on the engine: ${error instanceof Error ? error.message : String(error)}`),
      );
    onnxTries.set(predictor, tried);
  }
  await tried;
  return predictor;
}
