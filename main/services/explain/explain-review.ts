/**
 * The Review section's detection and verification runs (contract/channels/explain-review.ts):
 * the images or pairs of a split, and the engine's `explain` on one image's boxes or on one pair,
 * read from the image's first frame (the one `predict` reads, so maps and boxes lie on it).
 */
import { LoupeError, type ParsedRequestOf, type ReplyOf } from '../../../contract/index';
import { readModelCard } from '../../../base/model-folder-files';
import type { EngineSupervisor } from '../../engine/supervisor';
import type { ImagingService } from '../imaging/imaging-service';
import { requireImage } from '../labels/images';
import { requireTask } from '../labels/tasks';
import { sourceImageIds } from '../review/queue';
import { engineFrame } from '../training/run-model';
import type { WorkspaceService } from '../workspace/workspace-service';
import { explainableRun } from './explain-service';

type BoxPairKind = 'detection' | 'verification';

export class ExplainReview {
  constructor(
    private readonly workspaces: WorkspaceService,
    private readonly imaging: ImagingService,
    private readonly engine: EngineSupervisor,
  ) {}

  /** A completed detection or verification run's model and task. */
  private run(runId: string, kind?: BoxPairKind) {
    const ws = this.workspaces.require();
    const { row, modelDir } = explainableRun(ws, runId);
    if (row.kind !== 'detection' && row.kind !== 'verification')
      throw new LoupeError(
        'INVALID_REQUEST',
        `Run ${runId} trained a ${row.kind} model; this view is for detection and verification runs.`,
      );
    if (kind && row.kind !== kind)
      throw new LoupeError('INVALID_REQUEST', `Run ${runId} trained a ${row.kind} model; this needs a ${kind} model.`);
    return { ws, row, modelDir, kind: row.kind as BoxPairKind };
  }

  async items(request: ParsedRequestOf<'explain.reviewItems'>): Promise<ReplyOf<'explain.reviewItems'>> {
    const { ws, row, modelDir, kind } = this.run(request.runId);
    if (row.taskId === null)
      throw new LoupeError('INVALID_REQUEST', `The task run ${row.id} was trained on was deleted; nothing to review.`);
    const task = requireTask(ws.db, row.taskId);
    const card = await readModelCard(modelDir);
    const fileName = (id: number): string => requireImage(ws.db, id).fileName;
    const reply = {
      runId: row.id,
      kind,
      taskName: task.name,
      classes: card.classes,
      threshold: card.verification?.threshold ?? null,
      images: [] as ReplyOf<'explain.reviewItems'>['images'],
      pairs: [] as ReplyOf<'explain.reviewItems'>['pairs'],
    };
    if (kind === 'detection') {
      reply.images = sourceImageIds(ws.db, task, { kind: 'split', split: request.split }).map((imageId) => ({
        imageId,
        fileName: fileName(imageId),
      }));
      return reply;
    }
    const inSplit = `SELECT image_id FROM split_assignments WHERE task_id = @task AND split = @split
      AND image_id IN (SELECT id FROM images WHERE missing = 0)`;
    const rows = ws.db
      .prepare(
        `SELECT image_a AS a, image_b AS b, same FROM pairs WHERE task_id = @task
         AND image_a IN (${inSplit}) AND image_b IN (${inSplit}) ORDER BY id`,
      )
      .all({ task: task.id, split: request.split }) as { a: number; b: number; same: number }[];
    reply.pairs = rows.map((p) => ({
      imageA: p.a,
      imageB: p.b,
      fileA: fileName(p.a),
      fileB: fileName(p.b),
      same: p.same === 1,
    }));
    return reply;
  }

  async boxes(request: ParsedRequestOf<'explain.boxes'>, signal: AbortSignal): Promise<ReplyOf<'explain.boxes'>> {
    const { modelDir } = this.run(request.runId, 'detection');
    const frames = [await engineFrame(this.imaging, request.imageId)];
    const reply = await this.engine.call(
      'explain',
      { modelDir, frames, method: request.method, trust: false },
      { signal },
    );
    const found = reply.boxes?.[0];
    if (!found || !reply.targetLayer) throw new LoupeError('INTERNAL', 'The engine returned no boxes for a detector.');
    return {
      runId: request.runId,
      imageId: request.imageId,
      method: request.method,
      targetLayer: reply.targetLayer,
      boxesLeftOut: found.boxesLeftOut,
      boxes: found.boxes.map((b) => ({
        ...b,
        imageId: request.imageId,
        className: reply.classes[b.classIndex] ?? String(b.classIndex),
      })),
    };
  }

  async pair(request: ParsedRequestOf<'explain.pair'>, signal: AbortSignal): Promise<ReplyOf<'explain.pair'>> {
    const { modelDir } = this.run(request.runId, 'verification');
    const frames = [await engineFrame(this.imaging, request.imageA), await engineFrame(this.imaging, request.imageB)];
    const reply = await this.engine.call(
      'explain',
      { modelDir, frames, method: request.method, trust: false, pairs: [{ a: 0, b: 1 }] },
      { signal },
    );
    const explained = reply.pairs?.[0];
    if (!explained || !reply.targetLayer)
      throw new LoupeError('INTERNAL', 'The engine returned no pair for a verification model.');
    const threshold = reply.threshold ?? null;
    return {
      runId: request.runId,
      method: request.method,
      targetLayer: reply.targetLayer,
      similarity: explained.similarity,
      threshold,
      same: threshold === null ? null : explained.similarity >= threshold,
      a: { ...explained.mapA, imageId: request.imageA },
      b: { ...explained.mapB, imageId: request.imageB },
    };
  }
}
