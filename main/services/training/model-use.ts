/**
 * A completed run's model used on the workspace's images (contract/channels/models.ts):
 * boxes proposed for the labeling view, two images compared, and the verification gallery.
 * Images are decoded by the imaging service (the viewer's decoders) and the engine runs the model
 * with the preprocessing in its card, so a proposal sees an image exactly as evaluation does.
 */
import {
  GALLERY_IMAGE_PREFIX,
  LoupeError,
  galleryImageId,
  type DecodedFrame,
  type GalleryListing,
  type GalleryView,
  type PairComparison,
  type ParsedRequestOf,
  type ProposedBox,
  type ReplyOf,
  type TaskKind,
} from '../../../contract/index';
import { MIN_BOX_SIZE } from '../../../contract/geometry/index';
import type { EngineSupervisor } from '../../engine/supervisor';
import type { ImagingService } from '../imaging/imaging-service';
import { requireTask } from '../labels/tasks';
import type { WorkspaceService } from '../workspace/workspace-service';
import { completedModel, engineFrame, type RunModel } from './run-model';

export class ModelUseService {
  constructor(
    private readonly workspaces: WorkspaceService,
    private readonly imaging: ImagingService,
    private readonly engine: EngineSupervisor,
  ) {}

  private model(runId: string, kind: TaskKind): Promise<RunModel> {
    return completedModel(this.workspaces.require(), runId, kind);
  }

  private frame(imageId: number): Promise<DecodedFrame> {
    return engineFrame(this.imaging, imageId);
  }

  async proposeBoxes(
    request: ParsedRequestOf<'models.proposeBoxes'>,
    signal: AbortSignal,
  ): Promise<ReplyOf<'models.proposeBoxes'>> {
    const { modelDir, record } = await this.model(request.runId, 'detection');
    const task = requireTask(this.workspaces.require().db, request.taskId);
    if (task.kind !== 'detection')
      throw new LoupeError(
        'INVALID_REQUEST',
        `“${task.name}” is a ${task.kind} task; boxes are proposed in detection tasks.`,
      );
    const frame = await this.frame(request.imageId);
    const override = request.scoreThreshold === undefined ? undefined : { scoreThreshold: request.scoreThreshold };
    const reply = await this.engine.call(
      'predict',
      { modelDir, frames: [frame], ...(override ? { detection: override } : {}) },
      { signal },
    );
    const prediction = reply.predictions[0];
    if (!prediction || !('detections' in prediction))
      throw new LoupeError('INTERNAL', 'The detection model returned no boxes.');
    // Class names are unique per task regardless of case (label_classes.name is COLLATE NOCASE).
    const classOf = new Map(task.classes.map((c) => [c.name.toLowerCase(), c.id]));
    const unmatched = new Map<string, number>();
    const boxes: ProposedBox[] = [];
    for (const d of prediction.detections) {
      const className = reply.classes[d.classId] ?? String(d.classId);
      const classId = classOf.get(className.toLowerCase());
      if (classId === undefined) {
        unmatched.set(className, (unmatched.get(className) ?? 0) + 1);
        continue;
      }
      // Inside the image, as a saved box must be; a sliver left at an edge is no proposal.
      const [x1, y1, x2, y2] = [
        Math.max(0, d.box[0]),
        Math.max(0, d.box[1]),
        Math.min(frame.columns, d.box[2]),
        Math.min(frame.rows, d.box[3]),
      ];
      if (x2 - x1 >= MIN_BOX_SIZE && y2 - y1 >= MIN_BOX_SIZE) boxes.push({ classId, x1, y1, x2, y2, score: d.score });
    }
    return {
      imageId: request.imageId,
      boxes,
      scoreThreshold: request.scoreThreshold ?? record.config.detection?.scoreThreshold ?? 0,
      unmatchedClasses: [...unmatched].map(([className, n]) => ({ className, boxes: n })),
    };
  }

  async comparePair(request: ParsedRequestOf<'models.comparePair'>, signal: AbortSignal): Promise<PairComparison> {
    if (request.imageA === request.imageB)
      throw new LoupeError('INVALID_REQUEST', 'Pick two different images to compare.');
    const { modelDir, record } = await this.model(request.runId, 'verification');
    const frames = [await this.frame(request.imageA), await this.frame(request.imageB)];
    const reply = await this.engine.call(
      'predict',
      {
        modelDir,
        frames,
        pairs: [{ a: 0, b: 1 }],
        ...(request.threshold === undefined ? {} : { threshold: request.threshold }),
      },
      { signal },
    );
    const pair = reply.pairs?.[0];
    if (!pair || reply.threshold === undefined)
      throw new LoupeError('INTERNAL', 'The verification model returned no pair score.');
    return {
      imageA: request.imageA,
      imageB: request.imageB,
      score: pair.score,
      distance: pair.distance,
      same: pair.same,
      threshold: reply.threshold,
      targetFar: record.config.verification?.targetFar ?? 0,
    };
  }

  async gallery(runId: string): Promise<GalleryView> {
    const { modelDir } = await this.model(runId, 'verification');
    return view(runId, await this.engine.call('galleryList', { modelDir }));
  }

  async enrol(
    request: ParsedRequestOf<'models.enrol'>,
    signal: AbortSignal,
    progress: (done: number, total: number) => void,
  ): Promise<GalleryView> {
    const { modelDir } = await this.model(request.runId, 'verification');
    const references = [];
    for (const [done, { imageId, label }] of request.references.entries()) {
      if (signal.aborted) throw new LoupeError('CANCELLED', 'Cancelled.');
      progress(done, request.references.length);
      const name = label?.trim() || this.imaging.get(imageId).record.fileName;
      references.push({ id: `${GALLERY_IMAGE_PREFIX}${imageId}`, label: name, frame: await this.frame(imageId) });
    }
    const listing = await this.engine.call('galleryEnrol', { modelDir, references }, { signal });
    progress(request.references.length, request.references.length);
    return view(request.runId, listing);
  }

  async removeReferences(request: ParsedRequestOf<'models.removeReferences'>): Promise<GalleryView> {
    const { modelDir } = await this.model(request.runId, 'verification');
    return view(request.runId, await this.engine.call('galleryRemove', { modelDir, ids: request.ids }));
  }

  async query(request: ParsedRequestOf<'models.query'>, signal: AbortSignal): Promise<ReplyOf<'models.query'>> {
    const { modelDir } = await this.model(request.runId, 'verification');
    const frame = await this.frame(request.imageId);
    const reply = await this.engine.call('galleryQuery', { modelDir, frames: [frame], k: request.k }, { signal });
    const matches = reply.results[0]?.matches ?? [];
    return {
      imageId: request.imageId,
      threshold: reply.threshold,
      matches: matches.map((m) => ({ ...m, imageId: galleryImageId(m.id) })),
    };
  }
}

function view(runId: string, listing: GalleryListing): GalleryView {
  return {
    runId,
    threshold: listing.threshold,
    references: listing.references.map((r) => ({ ...r, imageId: galleryImageId(r.id) })),
  };
}
