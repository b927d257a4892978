/**
 * Verdicts on detection and verification runs (contract/channels/review-boxes-pairs.ts). The
 * services predict each time a verdict is recorded (the detector's boxes after its threshold and
 * NMS, the verification model's decision at its threshold), so the trail keeps what the model
 * really said, never what a caller claims it said.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LoupeError, type BoxPairVerdict, type ParsedRequestOf, type ReplyOf } from '../../../contract/index';
import { WEIGHTS_BIN } from '../../../base/model-folder-files';
import type { EngineSupervisor } from '../../engine/supervisor';
import type { ImagingService } from '../imaging/imaging-service';
import { requireImage } from '../labels/images';
import { validateForTask } from '../labels/label-validation';
import { requireTask } from '../labels/tasks';
import { ModelUseService } from '../training/model-use';
import { completedModel, engineFrame } from '../training/run-model';
import type { Workspace } from '../workspace/workspace';
import type { WorkspaceService } from '../workspace/workspace-service';
import { applyBoxPairCorrection } from './box-pair-correction';
import { appendBoxPairVerdict, type BoxPairKind, type NewBoxPairVerdict } from './box-pair-trail';
import { reviewer } from './trail';

export class BoxPairReviewService {
  private readonly models: ModelUseService;
  private readonly weightHashes = new Map<string, string>();

  constructor(
    private readonly workspaces: WorkspaceService,
    private readonly imaging: ImagingService,
    private readonly engine: EngineSupervisor,
  ) {
    this.models = new ModelUseService(workspaces, imaging, engine);
  }

  /** The run's task and the SHA-256 of its weights (hashed once per model folder). */
  private async model(ws: Workspace, runId: string, kind: BoxPairKind) {
    const model = await completedModel(ws, runId, kind);
    if (model.row.taskId === null)
      throw new LoupeError('INVALID_REQUEST', `The task run ${runId} was trained on was deleted; nothing to label.`);
    let weightsSha256 = this.weightHashes.get(model.modelDir);
    if (weightsSha256 === undefined) {
      weightsSha256 = createHash('sha256')
        .update(await readFile(path.join(model.modelDir, WEIGHTS_BIN)))
        .digest('hex');
      this.weightHashes.set(model.modelDir, weightsSha256);
    }
    return { ...model, task: requireTask(ws.db, model.row.taskId), weightsSha256 };
  }

  private imageFacts(ws: Workspace, imageId: number) {
    const image = requireImage(ws.db, imageId);
    const sha256 = ws.db.prepare('SELECT sha256 FROM images WHERE id = ?').pluck().get(imageId) as string;
    return { image, sha256 };
  }

  private common(
    ws: Workspace,
    request: { runId: string; verdict: BoxPairVerdict['verdict']; comment: string; method: string },
    imageId: number,
    model: { task: { id: number }; weightsSha256: string },
  ): Omit<NewBoxPairVerdict, 'prediction' | 'correction'> {
    const { image, sha256 } = this.imageFacts(ws, imageId);
    return {
      reviewer: reviewer(ws.db).reviewer,
      imageId,
      imageSha256: sha256,
      imagePath: image.path,
      runId: request.runId,
      weightsSha256: model.weightsSha256,
      taskId: model.task.id,
      method: request.method,
      verdict: request.verdict,
      comment: request.comment,
    };
  }

  async recordBoxes(
    request: ParsedRequestOf<'reviewBoxes.recordBoxes'>,
    signal: AbortSignal,
  ): Promise<ReplyOf<'reviewBoxes.recordBoxes'>> {
    const ws = this.workspaces.require();
    const model = await this.model(ws, request.runId, 'detection');
    const image = requireImage(ws.db, request.imageId);
    if (request.correctBoxes)
      // The check a save makes, now, so boxes the task could not hold never enter the trail.
      validateForTask(
        model.task,
        { taskId: model.task.id, imageId: image.id, saveId: 'check', baseRevision: 0, boxes: request.correctBoxes },
        image.width,
        image.height,
      );
    const frames = [await engineFrame(this.imaging, image.id)];
    const reply = await this.engine.call('predict', { modelDir: model.modelDir, frames }, { signal });
    const predicted = reply.predictions[0];
    if (!predicted || !('detections' in predicted))
      throw new LoupeError('INTERNAL', 'The detection model returned no boxes.');
    // Class names are unique per task regardless of case (label_classes.name is COLLATE NOCASE).
    const taskClass = new Map(model.task.classes.map((c) => [c.name.toLowerCase(), c.id]));
    return appendBoxPairVerdict(ws.db, {
      ...this.common(ws, request, image.id, model),
      prediction: {
        kind: 'detection',
        // Every box the engine kept, slivers included: the trail says what the model said, not what a label could hold.
        boxes: predicted.detections.map((d) => {
          const className = reply.classes[d.classId] ?? String(d.classId);
          const [x1, y1, x2, y2] = d.box;
          return { classId: taskClass.get(className.toLowerCase()) ?? null, className, x1, y1, x2, y2, score: d.score };
        }),
        scoreThreshold: model.record.config.detection?.scoreThreshold ?? 0,
      },
      correction: request.correctBoxes ? { boxes: request.correctBoxes } : null,
    });
  }

  async recordPair(
    request: ParsedRequestOf<'reviewBoxes.recordPair'>,
    signal: AbortSignal,
  ): Promise<ReplyOf<'reviewBoxes.recordPair'>> {
    const ws = this.workspaces.require();
    const model = await this.model(ws, request.runId, 'verification');
    // A pair is one pair whichever image comes first (as labels.addPair stores it).
    const [a, b] =
      request.imageA < request.imageB ? [request.imageA, request.imageB] : [request.imageB, request.imageA];
    const compared = await this.models.comparePair({ runId: request.runId, imageA: a, imageB: b }, signal);
    const second = this.imageFacts(ws, b);
    return appendBoxPairVerdict(ws.db, {
      ...this.common(ws, request, a, model),
      prediction: {
        kind: 'verification',
        imageB: b,
        imageBSha256: second.sha256,
        imageBPath: second.image.path,
        score: compared.score,
        threshold: compared.threshold,
        same: compared.same,
      },
      correction: request.correctSame === undefined ? null : { same: request.correctSame },
    });
  }

  applyCorrection(verdictId: number): Promise<ReplyOf<'reviewBoxes.applyCorrection'>> {
    return applyBoxPairCorrection(this.workspaces.require(), verdictId);
  }
}
