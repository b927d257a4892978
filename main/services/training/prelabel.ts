/**
 * Model-assisted labelling (contract/channels/prelabel.ts): a completed run's predictions on the
 * workspace's images as drafts — class tags, a mask — and "Label next", the unlabeled images
 * ordered by the model's uncertainty. Nothing here writes labels: the Label section shows the
 * drafts and saves only what a person accepts.
 *
 * The model runs in the engine worker (predict, in chunks so a large set reports progress and
 * stops on cancel); ordering is cheap arithmetic on its probabilities, and the k-center spread on
 * the penultimate-layer embeddings predict returns from the same pass.
 */
import path from 'node:path';
import {
  LoupeError,
  type DecodedFrame,
  type LabelTask,
  type LabelNextPick,
  type ParsedRequestOf,
  type ProposedTag,
  type ReplyOf,
  type SamplePrediction,
} from '../../../contract/index';
import type { EngineSupervisor } from '../../engine/supervisor';
import type { ImagingService } from '../imaging/imaging-service';
import { summarizeLabels } from '../labels/label-summary';
import { requireTask } from '../labels/tasks';
import type { WorkspaceService } from '../workspace/workspace-service';
import { matchClasses, maskValues } from './class-match';
import { completedModel, engineFrame } from './run-model';
import { byScore, entropy, kCenter, margin } from './uncertainty';
import { classificationReason, segmentationReason, withSpread } from './label-next-reasons';

/** Frames per predict call: progress and cancel between chunks, and a bounded reply. */
const PREDICT_CHUNK = 32;
/** Diversity picks among this many times `limit` of the most uncertain images. */
const DIVERSITY_POOL_FACTOR = 4;
/** Classes a segmentation pick lists as the mask's largest. */
const TOP_MASK_CLASSES = 3;

type Progress = (done: number, total: number) => void;

interface Ranked {
  imageId: number;
  score: number;
  entropy: number;
  margin: number | null;
  top: { classId: number; probability: number }[];
  reason: string;
}

export class PrelabelService {
  constructor(
    private readonly workspaces: WorkspaceService,
    private readonly imaging: ImagingService,
    private readonly engine: EngineSupervisor,
  ) {}

  private task(taskId: number, kinds: readonly LabelTask['kind'][]): LabelTask {
    const task = requireTask(this.workspaces.require().db, taskId);
    if (!kinds.includes(task.kind))
      throw new LoupeError(
        'INVALID_REQUEST',
        `“${task.name}” is a ${task.kind} task; drafts from a run are made for ${kinds.join(' and ')} tasks.`,
      );
    return task;
  }

  /**
   * Runs the model on every image in chunks; returns the model's classes and one prediction per
   * image, and with `embeddings` each image's penultimate-layer embedding from the same pass.
   */
  private async predictAll(
    runId: string,
    task: LabelTask,
    imageIds: readonly number[],
    signal: AbortSignal,
    progress: Progress,
    embeddings = false,
  ): Promise<{ classes: (number | null)[]; predictions: SamplePrediction[]; embeddings: Float32Array[] }> {
    const { modelDir } = await completedModel(this.workspaces.require(), runId, task.kind);
    const predictions: SamplePrediction[] = [];
    const embedded: Float32Array[] = [];
    let classes: (number | null)[] | null = null;
    for (let start = 0; start < imageIds.length; start += PREDICT_CHUNK) {
      if (signal.aborted) throw new LoupeError('CANCELLED', 'Cancelled.');
      progress(start, imageIds.length);
      const frames: DecodedFrame[] = [];
      for (const id of imageIds.slice(start, start + PREDICT_CHUNK)) frames.push(await engineFrame(this.imaging, id));
      const reply = await this.engine.call('predict', { modelDir, frames, embeddings }, { signal });
      classes ??= matchClasses(task, reply.classes, runId);
      predictions.push(...reply.predictions);
      embedded.push(...(reply.embeddings ?? []));
    }
    progress(imageIds.length, imageIds.length);
    return { classes: classes ?? [], predictions, embeddings: embedded };
  }

  async proposeTags(
    request: ParsedRequestOf<'models.proposeTags'>,
    signal: AbortSignal,
    progress: Progress,
  ): Promise<ReplyOf<'models.proposeTags'>> {
    const task = this.task(request.taskId, ['classification']);
    const { classes, predictions } = await this.predictAll(request.runId, task, request.imageIds, signal, progress);
    const tags: ProposedTag[] = predictions.map((prediction, i) => {
      const probabilities = tagProbabilities(prediction, classes);
      return { imageId: request.imageIds[i]!, ...probabilities[0]!, probabilities };
    });
    return { tags };
  }

  async proposeMask(
    request: ParsedRequestOf<'models.proposeMask'>,
    signal: AbortSignal,
  ): Promise<ReplyOf<'models.proposeMask'>> {
    const task = this.task(request.taskId, ['segmentation']);
    const { classes, predictions } = await this.predictAll(request.runId, task, [request.imageId], signal, () => {});
    const prediction = predictions[0];
    if (!prediction || !('mask' in prediction))
      throw new LoupeError('INTERNAL', 'The segmentation model returned no mask.');
    const values = maskValues(task, classes);
    const data = new Uint8Array(prediction.mask.length);
    for (let p = 0; p < data.length; p++) data[p] = values[prediction.mask[p]!] ?? 0;
    return {
      imageId: request.imageId,
      mask: { width: prediction.columns, height: prediction.rows, data },
      classPixels: classes.flatMap((classId, i) =>
        classId === null ? [] : [{ classId, pixels: prediction.classPixels[i] ?? 0 }],
      ),
      meanEntropy: prediction.meanEntropy ?? 0,
    };
  }

  async labelNext(
    request: ParsedRequestOf<'models.labelNext'>,
    signal: AbortSignal,
    progress: Progress,
  ): Promise<ReplyOf<'models.labelNext'>> {
    const task = this.task(request.taskId, ['classification', 'segmentation']);
    const imageIds =
      request.imageIds ??
      summarizeLabels(this.workspaces.require().db, task.id)
        .filter((s) => !s.labeled)
        .map((s) => s.imageId);
    const segmentation = task.kind === 'segmentation';
    const measure = segmentation ? 'mean pixel entropy' : request.measure;
    const diversitySpace = request.diversity ? ('penultimate-layer embeddings' as const) : null;
    if (imageIds.length === 0) return { measure, diversitySpace, considered: 0, picks: [] };
    const { classes, predictions, embeddings } = await this.predictAll(
      request.runId,
      task,
      imageIds,
      signal,
      progress,
      request.diversity,
    );
    const names = new Map(task.classes.map((c) => [c.id, c.name]));
    const ranked = predictions.map((prediction, i) =>
      segmentation
        ? rankMask(imageIds[i]!, prediction, classes, names)
        : rankTags(imageIds[i]!, prediction, classes, names, request.measure),
    );
    const order = byScore(ranked.map((r) => r.score));
    let picks: LabelNextPick[];
    if (request.diversity) {
      const pool = order.slice(0, request.limit * DIVERSITY_POOL_FACTOR);
      picks = kCenter(embeddings, pool, request.limit).map(({ index, distance, nearest }) => {
        const nearestImageId = nearest === null ? null : imageIds[nearest]!;
        const { reason, ...r } = ranked[index]!;
        if (distance === null || nearestImageId === null) return { ...r, reason, distance: null, nearestImageId: null };
        const nearestName = path.basename(this.imaging.get(nearestImageId).record.path);
        return { ...r, distance, nearestImageId, reason: withSpread(reason, distance, nearestName) };
      });
    } else
      picks = order
        .slice(0, request.limit)
        .map((index) => ({ ...ranked[index]!, distance: null, nearestImageId: null }));
    return { measure, diversitySpace, considered: imageIds.length, picks };
  }
}

/** Every task class with its probability, best first (the model's classes are the task's, matched by name). */
function tagProbabilities(prediction: SamplePrediction, classes: readonly (number | null)[]) {
  if (!('probabilities' in prediction))
    throw new LoupeError('INTERNAL', 'The classification model returned no probabilities.');
  return prediction.probabilities
    .map((probability, i) => ({ classId: classes[i]!, probability: Math.min(1, Math.max(0, probability)) }))
    .sort((a, b) => b.probability - a.probability);
}

function rankTags(
  imageId: number,
  prediction: SamplePrediction,
  classes: readonly (number | null)[],
  names: Map<number, string>,
  measure: 'entropy' | 'margin',
): Ranked {
  const sorted = tagProbabilities(prediction, classes);
  const probabilities = (prediction as { probabilities: number[] }).probabilities;
  const h = entropy(probabilities);
  const m = margin(probabilities);
  return {
    imageId,
    score: measure === 'entropy' ? h : 1 - m,
    entropy: h,
    margin: m,
    top: sorted.slice(0, 2),
    reason: classificationReason(measure, h, m, sorted, names),
  };
}

function rankMask(
  imageId: number,
  prediction: SamplePrediction,
  classes: readonly (number | null)[],
  names: Map<number, string>,
): Ranked {
  if (!('mask' in prediction)) throw new LoupeError('INTERNAL', 'The segmentation model returned no mask.');
  const total = Math.max(1, prediction.mask.length);
  const fractions = prediction.classPixels.map((n) => n / total);
  const h = prediction.meanEntropy ?? 0;
  const top = classes
    .flatMap((classId, i) => (classId === null ? [] : [{ classId, probability: fractions[i] ?? 0 }]))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, TOP_MASK_CLASSES);
  return {
    imageId,
    score: h,
    entropy: h,
    margin: null,
    top,
    reason: segmentationReason(h, top, names),
  };
}
