/**
 * One batch prediction: files are found lazily, read and decoded in the decode pool a window
 * ahead, predicted by the engine a group of frames at a time (the next group decodes meanwhile),
 * and committed to the output folder's journal group by group. Memory holds the window, never
 * the folder. An unreadable file, or one the model cannot take, is recorded with its reason and
 * the run goes on; a full disk or a cancel stops it, and --resume finishes it later.
 */
import {
  LoupeError,
  type BatchProgress,
  type DecodedFrame as EngineFrame,
  type ExplainMethodName,
  type PredictRuntime,
  type PreprocessingSpec,
  type RuntimeChoice,
} from '../../../contract/index';
import type { EngineRequestOf } from '../../../contract/engine/protocol';
import { engineFrame } from '../../../ml/decode/engine-frame';
import type { EngineSupervisor } from '../../engine/supervisor';
import type { DecodePool } from '../imaging/decode-pool';
import { walkFiles, type FoundFile } from '../imaging/file-walk';
import {
  engineCalls,
  groupFrames,
  InputBuffers,
  predictPayload,
  read,
  readAheadFiles,
  type FrameInputs,
  type Read,
  type ReadOk,
} from './frame-inputs';
import { writeCoco } from './coco';
import {
  csvHeader,
  outputsFor,
  CSV_FILE,
  type FileOutputs,
  type FramePrediction,
  type ModelFacts,
  type OutputFormat,
} from './formats';
import { callSignal, retryable } from './call-signal';
import { heatmapFiles } from './heatmap-files';
import type { Finished, Journal } from './output-folder';
import { inShard, type Shard } from './shard';

export { engineFrame };

export interface BatchRun {
  inputs: readonly string[];
  modelDir: string;
  model: ModelFacts;
  formats: ReadonlySet<OutputFormat>;
  /** Detection score threshold or verification decision threshold instead of the card's. */
  threshold?: number;
  /** Verification: the nearest k references of the model's gallery instead of embeddings. */
  gallery?: { k: number };
  /** Classification: a heatmap PNG per frame with this method (heatmap-files.ts). */
  explain?: ExplainMethodName;
  shard: Shard | null;
  /** 'engine': keep the model on Loupe's engine rather than the fastest runtime that agrees with it. */
  runtime?: RuntimeChoice;
  /** The model card's preprocessing, when the decode workers prepare the frames (frame-inputs.ts). */
  prepare?: PreprocessingSpec;
  /** Set by the run: what ran the model (the engine says with each reply). */
  ranOn?: PredictRuntime;
  journal: Journal;
  signal: AbortSignal;
  onProgress?: (progress: BatchProgress) => void;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

type Counts = Omit<BatchProgress, 'failures' | 'runtime'>;

export async function runBatch(
  engine: EngineSupervisor,
  pool: DecodePool,
  run: BatchRun,
): Promise<Counts & { cancelled: boolean; runtime: PredictRuntime | null }> {
  const { journal, model } = run;
  const progress: Counts = { done: 0, failed: 0, frames: 0, skipped: 0 };
  const headers = new Map([[CSV_FILE, csvHeader(model)]]);
  const files = candidates(run, progress);
  const buffers = new InputBuffers();
  const groupSize = groupFrames(run.prepare);
  const readAhead = readAheadFiles(run.prepare);
  const window: Promise<Read>[] = [];
  let exhausted = false;
  const refill = async (): Promise<void> => {
    while (!exhausted && window.length < readAhead) {
      const next = await files.next();
      if (next.done) exhausted = true;
      else window.push(read(pool, next.value, run.prepare));
    }
  };

  const report = (finished: readonly Finished[]): void => {
    const failures: BatchProgress['failures'] = [];
    for (const { entry } of finished) {
      progress.done++;
      progress.frames += entry.status === 'done' ? entry.frames : 0;
      if (entry.status === 'failed') failures.push({ path: entry.path, reason: entry.reason ?? '' });
    }
    progress.failed += failures.length;
    run.onProgress?.({ ...progress, failures, ...(run.ranOn ? { runtime: run.ranOn } : {}) });
  };
  // Two groups are with the engine at once: it starts the next as soon as it answers one, so its
  // answer's trip back and this thread's work on it never leave the model idle. A group's commit
  // (its writes and fsyncs) overlaps the groups after it; commits stay in order, one in flight,
  // and a group counts as done only once its commit has returned.
  let committing: Promise<void> = Promise.resolve();
  let predicting: Promise<Finished[]> | null = null;
  const commitNext = async (pending: Promise<Finished[]>): Promise<void> => {
    const finished = await pending;
    await committing;
    committing = journal.commit(finished, headers).then(() => report(finished));
    // Awaited on the next turn or after the loop; this handler only keeps Node from calling it unhandled meanwhile.
    committing.catch(() => {});
  };
  // The engine loads its modules, its backend and the model (with its ONNX Runtime check) while
  // the first files decode; a failure shows on the first predict call.
  engine.call('loadPredictor', { modelDir: run.modelDir, runtime: run.runtime ?? 'auto' }).catch(() => {});
  await refill();
  while (window.length > 0 && !run.signal.aborted) {
    const group: Read[] = [];
    let frames = 0;
    while (window.length > 0 && frames < groupSize) {
      const file = await window.shift()!;
      group.push(file);
      if (file.ok) frames += file.count;
      await refill();
    }
    const next = predictGroup(engine, run, group, groupSize, buffers);
    // Awaited once the group before it is committed; a failure meanwhile must not go unhandled.
    next.catch(() => {});
    if (predicting) await commitNext(predicting);
    predicting = next;
  }
  if (predicting) await commitNext(predicting);
  await committing;
  const cancelled = run.signal.aborted;
  // Undecoded reads still in the window are simply dropped: they were never committed.
  if (!cancelled && model.task === 'detection' && run.formats.has('coco')) await writeCoco(journal.folder, model);
  return { ...progress, cancelled, runtime: run.ranOn ?? null };
}

/** Files of this shard not finished by an earlier session, in walk order. */
async function* candidates(run: BatchRun, progress: Counts): AsyncGenerator<FoundFile> {
  // A file reached through two inputs (a folder and its subfolder) is predicted once, as found first.
  const seen = new Set<string>();
  for await (const file of walkFiles(run.inputs, run.signal)) {
    if (!inShard(file.relative, run.shard) || seen.has(file.path)) continue;
    seen.add(file.path);
    if (run.journal.finished.has(file.path)) {
      progress.skipped++;
      continue;
    }
    yield file;
  }
}

/** Predicts a group's frames; a call the engine refuses is retried file by file, so one bad file is reported alone. */
async function predictGroup(
  engine: EngineSupervisor,
  run: BatchRun,
  group: readonly Read[],
  perCall: number,
  buffers: InputBuffers,
): Promise<Finished[]> {
  const readable = group.filter((r): r is ReadOk => r.ok && r.refused === undefined);
  const predicted = new Map<Read, FramePrediction[] | string>();
  for (const r of group)
    if (r.ok && r.refused !== undefined) predicted.set(r, `The model could not predict this file: ${r.refused}`);
  try {
    const all = await predictInputs(engine, run, engineCalls(readable, perCall, buffers), buffers);
    let at = 0;
    for (const r of readable) {
      predicted.set(r, all.slice(at, at + r.count));
      at += r.count;
    }
  } catch (error) {
    if (!retryable(error)) throw error;
    for (const r of readable) {
      try {
        predicted.set(r, await predictInputs(engine, run, engineCalls([r], perCall, buffers), buffers));
      } catch (fileError) {
        if (!retryable(fileError)) throw fileError;
        predicted.set(r, `The model could not predict this file: ${reasonOf(fileError)}`);
      }
    }
  }
  const finished: Finished[] = [];
  for (const r of group) {
    const identity = { modelId: run.model.modelId, weightsSha256: run.model.weightsSha256 };
    const base = { path: r.file.path, relative: r.file.relative, ...identity };
    let result = r.ok ? predicted.get(r)! : r.reason;
    let heatmaps: FileOutputs['sideFiles'] = [];
    if (run.explain && r.ok && typeof result !== 'string') {
      const file = { path: r.file.path, relative: r.file.relative, sha256: r.sha256, info: r.info };
      try {
        heatmaps = await heatmapFiles(engine, { ...run, explain: run.explain }, file, r.frames);
      } catch (error) {
        if (!retryable(error)) throw error;
        result = `The model could not explain this file: ${reasonOf(error)}`;
      }
    }
    if (typeof result === 'string' || !r.ok) {
      const known = r.ok ? { size: r.size, sha256: r.sha256 } : { size: null, sha256: null };
      finished.push({
        entry: { ...base, ...known, frames: 0, status: 'failed', reason: typeof result === 'string' ? result : '' },
        rows: new Map(),
      });
      continue;
    }
    const outputs = await outputsFor(
      run.model,
      run.formats,
      { path: r.file.path, relative: r.file.relative, sha256: r.sha256, info: r.info },
      result,
    );
    for (const side of [...outputs.sideFiles, ...heatmaps]) await run.journal.writeSideFile(side.relative, side.data);
    finished.push({
      entry: { ...base, size: r.size, sha256: r.sha256, frames: r.count, status: 'done' },
      rows: outputs.rows,
    });
  }
  return finished;
}

async function predictInputs(
  engine: EngineSupervisor,
  run: BatchRun,
  calls: readonly FrameInputs[],
  buffers: InputBuffers,
): Promise<FramePrediction[]> {
  const out: FramePrediction[] = [];
  const task = run.model.task;
  const overrides: Partial<EngineRequestOf<'predict'>> =
    run.threshold === undefined
      ? {}
      : task === 'detection'
        ? { detection: { scoreThreshold: run.threshold } }
        : { threshold: run.threshold };
  for (const inputs of calls) {
    if (run.gallery) {
      if (!('frames' in inputs)) throw new LoupeError('INTERNAL', 'A gallery query takes the frames themselves.');
      out.push(...(await queryGallery(engine, run, run.gallery.k, inputs.frames)));
      continue;
    }
    const count = 'frames' in inputs ? inputs.frames.length : inputs.prepared.frames.length;
    const { sent, transfer } = predictPayload(inputs);
    const request = { modelDir: run.modelDir, ...sent, runtime: run.runtime ?? 'auto', ...overrides };
    const reply = await callSignal(run.signal, (signal) => engine.call('predict', request, { signal, transfer }));
    if (reply.input) buffers.giveBack(reply.input);
    if (reply.runtime) run.ranOn = reply.runtime;
    if (reply.predictions.length !== count)
      throw new LoupeError(
        'INTERNAL',
        `The engine returned ${reply.predictions.length} predictions for ${count} frames.`,
      );
    out.push(...reply.predictions);
  }
  return out;
}

/** One call's frames against the model's gallery: the nearest k references of each. */
async function queryGallery(
  engine: EngineSupervisor,
  run: BatchRun,
  k: number,
  frames: EngineFrame[],
): Promise<FramePrediction[]> {
  const request = {
    modelDir: run.modelDir,
    frames,
    k,
    runtime: run.runtime ?? 'auto',
    ...(run.threshold === undefined ? {} : { threshold: run.threshold }),
  };
  const reply = await callSignal(run.signal, (signal) => engine.call('galleryQuery', request, { signal }));
  if (reply.runtime) run.ranOn = reply.runtime;
  if (reply.results.length !== frames.length)
    throw new LoupeError(
      'INTERNAL',
      `The engine returned ${reply.results.length} matches for ${frames.length} frames.`,
    );
  return reply.results.map((r) => ({ matches: r.matches, threshold: reply.threshold }));
}
