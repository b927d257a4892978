/**
 * Review of segmentation runs (contract/channels/review-masks.ts): a completed U-Net run's masks
 * on a queue of images with their mean pixel entropy and their Dice against the label, one image
 * at a time with probability contours and Seg-Grad-CAM, and verdicts appended to the trail
 * (mask-trail.ts) — a "disagree" with the mask the reviewer painted, written as a label only when
 * confirmed (mask-correction.ts).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  CONTOUR_LEVELS,
  LoupeError,
  type LabelTask,
  type MaskLabel,
  type MaskQueueItem,
  type ParsedRequestOf,
  type ReplyOf,
} from '../../../contract/index';
import { isoLines, meanDice } from '../../../contract/geometry/index';
import { WEIGHTS_BIN } from '../../../base/model-folder-files';
import type { EngineSupervisor } from '../../engine/supervisor';
import type { ImagingService } from '../imaging/imaging-service';
import { getImageLabels } from '../labels/image-labels';
import { requireImage } from '../labels/images';
import { encodeMaskPng } from '../labels/mask-files';
import { validateForTask } from '../labels/label-validation';
import { requireTask } from '../labels/tasks';
import { matchClasses, maskValues } from '../training/class-match';
import { completedModel, engineFrame, type RunModel } from '../training/run-model';
import type { Workspace } from '../workspace/workspace';
import type { WorkspaceService } from '../workspace/workspace-service';
import { applyMaskCorrection } from './mask-correction';
import { appendMaskVerdict, currentMaskVerdicts, type VerdictMasks } from './mask-trail';
import { largestForeground, maskSourceImageIds, orderMaskQueue } from './mask-queue';
import { reviewer } from './trail';

/** Frames per predict call: every reply carries the masks. */
const PREDICT_BATCH = 16;
/** Predicted masks kept so a verdict records what the queue showed without predicting again. */
const MAX_CACHED_MASKS = 256;

interface MaskModel extends RunModel {
  task: LabelTask;
  weightsSha256: string;
  /** Task mask value per model class (0: background). */
  values: Uint8Array;
}

/** One image's prediction in the task's mask values. */
interface PredictedMask {
  mask: MaskLabel;
  classPixels: number[];
  meanEntropy: number;
  sha256: string;
  /** Class probability maps on the image, when asked for. */
  maps?: Float32Array;
}

const sha256Of = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export class MaskReviewService {
  private readonly weightHashes = new Map<string, string>();
  private readonly masks = new Map<string, PredictedMask>();

  constructor(
    private readonly workspaces: WorkspaceService,
    private readonly imaging: ImagingService,
    private readonly engine: EngineSupervisor,
  ) {}

  private async model(ws: Workspace, runId: string): Promise<MaskModel> {
    const model = await completedModel(ws, runId, 'segmentation');
    if (model.row.taskId === null)
      throw new LoupeError(
        'INVALID_REQUEST',
        `The task run ${runId} was trained on (“${model.row.taskName}”) was deleted; its masks have no labels to review against.`,
      );
    const task = requireTask(ws.db, model.row.taskId);
    let weightsSha256 = this.weightHashes.get(model.modelDir);
    if (weightsSha256 === undefined) {
      weightsSha256 = sha256Of(await readFile(path.join(model.modelDir, WEIGHTS_BIN)));
      this.weightHashes.set(model.modelDir, weightsSha256);
    }
    return { ...model, task, weightsSha256, values: maskValues(task, matchClasses(task, model.record.classes, runId)) };
  }

  private key(ws: Workspace, runId: string, imageId: number): string {
    return `${ws.root}\0${runId}\0${imageId}`;
  }

  private async predict(
    ws: Workspace,
    model: MaskModel,
    imageIds: readonly number[],
    signal: AbortSignal,
    progress: (done: number) => void,
    maps = false,
  ): Promise<PredictedMask[]> {
    const out: PredictedMask[] = [];
    for (let start = 0; start < imageIds.length; start += PREDICT_BATCH) {
      if (signal.aborted) throw new LoupeError('CANCELLED', 'Cancelled.');
      const ids = imageIds.slice(start, start + PREDICT_BATCH);
      const frames = [];
      for (const id of ids) frames.push(await engineFrame(this.imaging, id));
      const reply = await this.engine.call(
        'predict',
        { modelDir: model.modelDir, frames, ...(maps ? { probabilities: true } : {}) },
        { signal },
      );
      reply.predictions.forEach((p, i) => {
        if (!('mask' in p)) throw new LoupeError('INTERNAL', 'The segmentation model returned no mask.');
        const data = new Uint8Array(p.mask.length);
        for (let q = 0; q < data.length; q++) data[q] = model.values[p.mask[q]!] ?? 0;
        const predicted: PredictedMask = {
          mask: { width: p.columns, height: p.rows, data },
          classPixels: p.classPixels,
          meanEntropy: p.meanEntropy ?? 0,
          sha256: sha256Of(data),
          ...(p.probabilityMaps ? { maps: p.probabilityMaps } : {}),
        };
        if (this.masks.size >= MAX_CACHED_MASKS) this.masks.clear();
        // Kept without its probability maps (megabytes): a verdict needs the mask only.
        const { maps: _maps, ...kept } = predicted;
        this.masks.set(this.key(ws, model.row.id, ids[i]!), kept);
        out.push(predicted);
      });
      progress(out.length);
    }
    return out;
  }

  /** Dice of a predicted mask against the image's mask label in the task; null when it has none. */
  private async diceAgainstLabel(ws: Workspace, task: LabelTask, imageId: number, mask: MaskLabel) {
    const label = (await getImageLabels(ws, task.id, imageId)).mask;
    if (!label || label.width !== mask.width || label.height !== mask.height) return null;
    return meanDice(mask.data, label.data) ?? 1;
  }

  async queue(
    request: ParsedRequestOf<'reviewMasks.queue'>,
    signal: AbortSignal,
    progress: (done: number, total: number) => void,
  ): Promise<ReplyOf<'reviewMasks.queue'>> {
    const ws = this.workspaces.require();
    const model = await this.model(ws, request.runId);
    const all = maskSourceImageIds(ws.db, model.task, request.source);
    const ids = all.slice(0, request.limit);
    progress(0, ids.length);
    const predicted = await this.predict(ws, model, ids, signal, (done) => progress(done, ids.length));
    const verdicts = currentMaskVerdicts(ws.db, request.runId);
    const items: MaskQueueItem[] = [];
    for (const [i, imageId] of ids.entries()) {
      const p = predicted[i]!;
      items.push({
        imageId,
        fileName: requireImage(ws.db, imageId).fileName,
        meanEntropy: p.meanEntropy,
        dice: await this.diceAgainstLabel(ws, model.task, imageId, p.mask),
        classPixels: p.classPixels,
        verdict: verdicts.get(imageId) ?? null,
      });
    }
    return {
      runId: request.runId,
      taskId: model.task.id,
      taskName: model.task.name,
      classes: model.record.classes.map((name, i) => {
        const cls = i === 0 ? undefined : model.task.classes.find((c) => c.name.toLowerCase() === name.toLowerCase());
        return { name, classId: cls?.id ?? null, value: model.values[i] ?? 0, color: cls?.color ?? null };
      }),
      weightsSha256: model.weightsSha256,
      items: orderMaskQueue(items, request.order),
      leftOut: all.length - ids.length,
    };
  }

  async image(
    request: ParsedRequestOf<'reviewMasks.image'>,
    signal: AbortSignal,
  ): Promise<ReplyOf<'reviewMasks.image'>> {
    const ws = this.workspaces.require();
    const model = await this.model(ws, request.runId);
    const classes = model.record.classes;
    if (request.classIndex !== undefined && request.classIndex >= classes.length)
      throw new LoupeError(
        'INVALID_REQUEST',
        `There is no class ${request.classIndex}: the model has ${classes.length} classes (${classes.join(', ')}).`,
      );
    const [p] = await this.predict(ws, model, [request.imageId], signal, () => {}, true);
    const { width, height } = p!.mask;
    const classIndex = request.classIndex ?? largestForeground(p!.classPixels);
    const map = p!.maps!.subarray(classIndex * width * height, (classIndex + 1) * width * height);
    let heatmap: ReplyOf<'reviewMasks.image'>['heatmap'] = null;
    if (request.method) {
      const frames = [await engineFrame(this.imaging, request.imageId)];
      const reply = await this.engine.call(
        'explain',
        { modelDir: model.modelDir, frames, method: request.method, classIndex, trust: request.trust },
        { signal },
      );
      const explained = reply.explanations[0];
      if (!explained) throw new LoupeError('INTERNAL', 'The engine returned no explanation for the image.');
      heatmap = {
        method: reply.method,
        values: explained.heatmap,
        rows: explained.rows,
        columns: explained.columns,
        wholeImage: explained.region?.wholeImage ?? false,
        probability: explained.probability,
        targetLayer: explained.targetLayer,
        trust: explained.trust ?? null,
      };
    }
    return {
      runId: request.runId,
      imageId: request.imageId,
      mask: p!.mask,
      classIndex,
      className: classes[classIndex] ?? String(classIndex),
      contours: CONTOUR_LEVELS.map((level) => ({ level, segments: isoLines(map, width, height, level) })),
      meanEntropy: p!.meanEntropy,
      dice: await this.diceAgainstLabel(ws, model.task, request.imageId, p!.mask),
      heatmap,
    };
  }

  async record(
    request: ParsedRequestOf<'reviewMasks.record'>,
    signal: AbortSignal,
  ): Promise<ReplyOf<'reviewMasks.record'>> {
    const ws = this.workspaces.require();
    const model = await this.model(ws, request.runId);
    const image = requireImage(ws.db, request.imageId);
    const imageSha256 = ws.db.prepare('SELECT sha256 FROM images WHERE id = ?').pluck().get(request.imageId) as string;
    if (request.correctMask && request.verdict !== 'disagree')
      throw new LoupeError('INVALID_REQUEST', 'A correct mask goes with a “disagree” verdict only.');
    const predicted =
      this.masks.get(this.key(ws, request.runId, request.imageId)) ??
      (await this.predict(ws, model, [request.imageId], signal, () => {}))[0]!;
    let correct: VerdictMasks['correct'] = null;
    if (request.correctMask) {
      const mask = request.correctMask;
      if (mask.width !== image.width || mask.height !== image.height)
        throw new LoupeError(
          'INVALID_REQUEST',
          `The correct mask is ${mask.width}×${mask.height}; image ${request.imageId} is ${image.width}×${image.height}.`,
        );
      // The same check a save makes, now, so a mask with a value the task lacks never enters the trail.
      validateForTask(
        model.task,
        { taskId: model.task.id, imageId: request.imageId, saveId: 'check', baseRevision: 0, mask },
        image.width,
        image.height,
      );
      let changedPixels = 0;
      for (let q = 0; q < mask.data.length; q++) if (mask.data[q] !== predicted.mask.data[q]) changedPixels++;
      correct = {
        sha256: sha256Of(mask.data),
        changedPixels,
        png: await encodeMaskPng(mask),
      };
    }
    return appendMaskVerdict(
      ws.db,
      {
        reviewer: reviewer(ws.db).reviewer,
        imageId: request.imageId,
        imageSha256,
        imagePath: image.path,
        runId: request.runId,
        weightsSha256: model.weightsSha256,
        taskId: model.task.id,
        prediction: {
          kind: 'segmentation',
          classes: model.record.classes,
          classPixels: predicted.classPixels,
          meanEntropy: predicted.meanEntropy,
          maskSha256: predicted.sha256,
        },
        dice: await this.diceAgainstLabel(ws, model.task, request.imageId, predicted.mask),
        method: request.method,
        verdict: request.verdict,
        comment: request.comment,
      },
      {
        width: predicted.mask.width,
        height: predicted.mask.height,
        predictedPng: await encodeMaskPng(predicted.mask),
        correct,
      },
    );
  }

  applyCorrection(verdictId: number): Promise<ReplyOf<'reviewMasks.applyCorrection'>> {
    return applyMaskCorrection(this.workspaces.require(), verdictId);
  }
}
