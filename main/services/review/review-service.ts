/**
 * The Review section's work (contract/channels/review.ts): a completed classification run's
 * predictions on a queue of images, verdicts appended to the audit trail, and a confirmed
 * correction written into the run's task through the labels code, marked as coming from review.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  LoupeError,
  type DecodedFrame,
  type ExplainReply,
  type FeatureMapsReply,
  type LabelTask,
  type ModelCard,
  type ParsedRequestOf,
  type ReplyOf,
  type ReviewPrediction,
  type ReviewQueueItem,
  type ReviewVerdict,
} from '../../../contract/index';
import { WEIGHTS_BIN, readModelCard } from '../../../base/model-folder-files';
import { applyTemperature } from '../../../ml/metrics/calibration';
import type { EngineSupervisor } from '../../engine/supervisor';
import type { ImagingService } from '../imaging/imaging-service';
import { requireImage } from '../labels/images';
import { requireTask } from '../labels/tasks';
import { completedModel, engineFrame, type RunModel } from '../training/run-model';
import type { Workspace } from '../workspace/workspace';
import type { WorkspaceService } from '../workspace/workspace-service';
import { classTags, orderQueue, sourceImageIds, uncertainty } from './queue';
import { applyCorrection } from './review-correction';
import { appendVerdict, currentVerdicts, reviewer } from './trail';

/** Frames per predict call: few enough that a batch of large 16-bit frames stays small in memory. */
const PREDICT_BATCH = 16;
/** Predictions kept for recording verdicts without predicting again; a queue's worth and more. */
const MAX_CACHED_PREDICTIONS = 4096;
export interface ReviewModel extends RunModel {
  task: LabelTask;
  weightsSha256: string;
  /** The model card's calibration temperature, or null. */
  temperature: number | null;
}

/** The engine's output on one image, before any temperature. */
export type RawPrediction = Omit<ReviewPrediction, 'temperature'>;

/** A prediction as shown: probabilities scaled by the card's temperature (the top class does not change). */
export function shownPrediction(raw: RawPrediction, temperature: number | null): ReviewPrediction {
  return {
    ...raw,
    probabilities: temperature === null ? raw.probabilities : applyTemperature(raw.probabilities, temperature),
    temperature,
  };
}

export class ReviewService {
  /** Weights hash per model folder: a completed run's weights never change. */
  private readonly weightHashes = new Map<string, string>();
  /** Predictions by `<workspace>\0<run>\0<image>`, so a verdict records what the queue showed. */
  private readonly predictions = new Map<string, RawPrediction>();

  constructor(
    private readonly workspaces: WorkspaceService,
    private readonly imaging: ImagingService,
    private readonly engine: EngineSupervisor,
  ) {}

  async model(ws: Workspace, runId: string): Promise<ReviewModel> {
    // Review covers classification runs for now; completedModel refuses other kinds with their kind named.
    const model = await completedModel(ws, runId, 'classification');
    if (model.row.taskId === null)
      throw new LoupeError(
        'INVALID_REQUEST',
        `The task run ${runId} was trained on (“${model.row.taskName}”) was deleted; its predictions have no labels to review against.`,
      );
    const task = requireTask(ws.db, model.row.taskId);
    let weightsSha256 = this.weightHashes.get(model.modelDir);
    if (weightsSha256 === undefined) {
      weightsSha256 = createHash('sha256')
        .update(await readFile(path.join(model.modelDir, WEIGHTS_BIN)))
        .digest('hex');
      this.weightHashes.set(model.modelDir, weightsSha256);
    }
    // Read each time: a calibration fit rewrites the card.
    const temperature = (await readModelCard(model.modelDir)).calibration?.temperature ?? null;
    return { ...model, task, weightsSha256, temperature };
  }

  /** The engine's predictions on images, in batches, with progress and cancel between them. */
  async predict(
    ws: Workspace,
    model: ReviewModel,
    imageIds: readonly number[],
    signal: AbortSignal,
    progress: (done: number) => void,
  ): Promise<RawPrediction[]> {
    const out: RawPrediction[] = [];
    for (let start = 0; start < imageIds.length; start += PREDICT_BATCH) {
      if (signal.aborted) throw new LoupeError('CANCELLED', 'Cancelled.');
      const ids = imageIds.slice(start, start + PREDICT_BATCH);
      const frames = [];
      for (const id of ids) frames.push(await engineFrame(this.imaging, id));
      const reply = await this.engine.call('predict', { modelDir: model.modelDir, frames }, { signal });
      reply.predictions.forEach((p, i) => {
        if (!('probabilities' in p))
          throw new LoupeError('INTERNAL', 'The classification model returned no class probabilities.');
        const prediction = {
          classes: reply.classes,
          probabilities: p.probabilities,
          predicted: p.predicted,
          predictedClass: reply.classes[p.predicted] ?? String(p.predicted),
        };
        this.remember(ws, model.row.id, ids[i]!, prediction);
        out.push(prediction);
      });
      progress(out.length);
    }
    return out;
  }

  private key(ws: Workspace, runId: string, imageId: number): string {
    return `${ws.root}\0${runId}\0${imageId}`;
  }

  private remember(ws: Workspace, runId: string, imageId: number, prediction: RawPrediction): void {
    if (this.predictions.size >= MAX_CACHED_PREDICTIONS) this.predictions.clear();
    this.predictions.set(this.key(ws, runId, imageId), prediction);
  }

  async queue(
    request: ParsedRequestOf<'review.queue'>,
    signal: AbortSignal,
    progress: (done: number, total: number) => void,
  ): Promise<ReplyOf<'review.queue'>> {
    const ws = this.workspaces.require();
    const model = await this.model(ws, request.runId);
    const all = sourceImageIds(ws.db, model.task, request.source);
    const ids = all.slice(0, request.limit);
    progress(0, ids.length);
    const predictions = await this.predict(ws, model, ids, signal, (done) => progress(done, ids.length));
    const classes = model.record.classes.map((name) => ({
      name,
      classId: model.task.classes.find((c) => c.name.toLowerCase() === name.toLowerCase())?.id ?? null,
    }));
    const tags = classTags(ws.db, model.task.id, ids);
    const verdicts = currentVerdicts(ws.db, request.runId);
    const items: ReviewQueueItem[] = ids.map((imageId, i) => {
      const prediction = shownPrediction(predictions[i]!, model.temperature);
      const labelClassIds = tags.get(imageId) ?? [];
      const predictedClassId = classes[prediction.predicted]?.classId ?? null;
      return {
        imageId,
        fileName: requireImage(ws.db, imageId).fileName,
        prediction,
        ...uncertainty(prediction.probabilities),
        labelClassIds,
        disagrees: labelClassIds.length > 0 && (predictedClassId === null || !labelClassIds.includes(predictedClassId)),
        verdict: verdicts.get(imageId) ?? null,
      };
    });
    return {
      runId: request.runId,
      taskId: model.task.id,
      taskName: model.task.name,
      classes,
      weightsSha256: model.weightsSha256,
      items: orderQueue(items, request.order),
      leftOut: all.length - ids.length,
    };
  }

  async record(request: ParsedRequestOf<'review.record'>, signal: AbortSignal): Promise<ReviewVerdict> {
    const ws = this.workspaces.require();
    const model = await this.model(ws, request.runId);
    const image = ws.db.prepare('SELECT sha256, path FROM images WHERE id = ?').get(request.imageId) as
      | { sha256: string; path: string }
      | undefined;
    if (!image) throw new LoupeError('NOT_FOUND', `There is no image ${request.imageId} in this workspace.`);
    let correctClass: string | null = null;
    if (request.verdict === 'disagree' && request.correctClassId !== undefined) {
      const cls = model.task.classes.find((c) => c.id === request.correctClassId);
      if (!cls)
        throw new LoupeError(
          'INVALID_REQUEST',
          `Class ${request.correctClassId} is not a class of the task “${model.task.name}”.`,
        );
      correctClass = cls.name;
    } else if (request.correctClassId !== undefined) {
      throw new LoupeError('INVALID_REQUEST', 'A correct class goes with a “disagree” verdict only.');
    }
    const raw =
      this.predictions.get(this.key(ws, request.runId, request.imageId)) ??
      (await this.predict(ws, model, [request.imageId], signal, () => {}))[0]!;
    const prediction = shownPrediction(raw, model.temperature);
    return appendVerdict(ws.db, {
      reviewer: reviewer(ws.db).reviewer,
      imageId: request.imageId,
      imageSha256: image.sha256,
      imagePath: image.path,
      runId: request.runId,
      weightsSha256: model.weightsSha256,
      taskId: model.task.id,
      prediction,
      method: request.method,
      verdict: request.verdict,
      correctClass,
      comment: request.comment,
    });
  }

  /** The engine's explanation of one image's first frame, the one `predict` reads (see review-explain.ts). */
  async explainImage(
    model: ReviewModel,
    imageId: number,
    options: Pick<ParsedRequestOf<'review.explain'>, 'method' | 'classIndex' | 'trust'>,
    signal: AbortSignal,
  ): Promise<ExplainReply> {
    const frames = [await engineFrame(this.imaging, imageId)];
    return this.engine.call('explain', { modelDir: model.modelDir, frames, ...options }, { signal });
  }

  /** The engine's feature maps of one image's first frame, the one `predict` reads (see review-feature-maps.ts). */
  async featureMapsOfImage(
    model: ReviewModel,
    imageId: number,
    layer: string | undefined,
    signal: AbortSignal,
  ): Promise<{ maps: FeatureMapsReply; frame: DecodedFrame }> {
    const frame = await engineFrame(this.imaging, imageId);
    const maps = await this.engine.call(
      'featureMaps',
      { modelDir: model.modelDir, frame, ...(layer === undefined ? {} : { layer }) },
      { signal },
    );
    return { maps, frame };
  }

  thumbnails(ids: readonly number[]): ReturnType<ImagingService['thumbnails']> {
    return this.imaging.thumbnails(ids);
  }

  /** The model card of a run, or null when the run or its model is gone (the trail outlives both). */
  async modelCard(ws: Workspace, runId: string): Promise<ModelCard | null> {
    try {
      return await readModelCard((await completedModel(ws, runId, 'classification')).modelDir);
    } catch {
      return null;
    }
  }

  /** Writes a disagree verdict's correct class as the image's label in the run's task; a retry applies nothing twice. */
  applyCorrection(verdictId: number): Promise<ReplyOf<'review.applyCorrection'>> {
    return applyCorrection(this.workspaces.require(), verdictId);
  }
}
