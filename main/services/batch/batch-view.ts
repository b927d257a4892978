/**
 * The Batch section's viewer on a job's results: a predicted file, in the workspace or not, its
 * frames for the viewer and the heatmap of a classifier's prediction on it. Only a file and frame
 * the job's results list as predicted can be named, so no other path on the machine is read.
 */
import path from 'node:path';
import { LoupeError, type BatchJob, type FramePixels, type ImageInfo, type ReplyOf } from '../../../contract/index';
import { engineFrame } from '../../../ml/decode/engine-frame';
import { DecodeError } from '../../../ml/decode/errors';
import type { EngineSupervisor } from '../../engine/supervisor';
import type { DecodePool } from '../imaging/decode-pool';
import type { WorkspaceService } from '../workspace/workspace-service';
import type { BatchJobs } from './batch-jobs';
import type { BatchResults } from './batch-results';
import type { BatchService } from './batch-service';

/** The method of a job that wrote no heatmaps: Grad-CAM, as the Review section starts with. */
const DEFAULT_METHOD = 'gradcam';

export class BatchView {
  constructor(
    private readonly jobs: BatchJobs,
    private readonly results: BatchResults,
    private readonly batch: BatchService,
    private readonly workspaces: WorkspaceService,
    private readonly pool: DecodePool,
    private readonly engine: EngineSupervisor,
  ) {}

  async file(jobId: string, file: string): Promise<{ fileName: string; info: ImageInfo }> {
    const { where } = await this.predicted(jobId, file, 0);
    const { info } = await this.decoded(where, () => this.pool.read(where));
    return { fileName: path.basename(where), info };
  }

  async frame(jobId: string, file: string, frame: number): Promise<FramePixels> {
    const { where } = await this.predicted(jobId, file, frame);
    // The whole file, for its windows and unit beside the frame (a file a batch predicts is read whole, too).
    const { info, frames } = await this.decoded(where, () => this.pool.read(where));
    const decoded = frames[frame];
    if (!decoded)
      throw new LoupeError('NOT_FOUND', `${where} has no frame ${frame + 1} now; it changed since the batch.`);
    return {
      // Not a workspace image.
      id: 0,
      frame,
      rows: decoded.rows,
      columns: decoded.columns,
      samplesPerPixel: decoded.samplesPerPixel,
      photometricInterpretation: decoded.photometricInterpretation,
      rescaleSlope: decoded.rescaleSlope,
      rescaleIntercept: decoded.rescaleIntercept,
      modalityUnit: info.modalityUnit,
      windows: info.windows,
      minValue: decoded.minValue,
      maxValue: decoded.maxValue,
      data: decoded.data,
    };
  }

  async explain(jobId: string, file: string, frame: number): Promise<ReplyOf<'batch.explain'>> {
    const { job, where } = await this.predicted(jobId, file, frame);
    if (job.task !== 'classification')
      throw new LoupeError(
        'INVALID_REQUEST',
        `Heatmaps are drawn for classification models; batch ${jobId}'s model does ${job.task}.`,
      );
    const decoded = await this.decoded(where, () => this.pool.frame(where, frame));
    const method = job.explain ?? DEFAULT_METHOD;
    const reply = await this.engine.call('explain', {
      modelDir: this.batch.modelDir(job.model),
      frames: [engineFrame(decoded)],
      method,
      trust: false,
    });
    const explained = reply.explanations[0]!;
    return {
      method,
      className: reply.classes[explained.classIndex] ?? String(explained.classIndex),
      probability: explained.probability,
      heatmap: explained.heatmap,
      rows: explained.rows,
      columns: explained.columns,
    };
  }

  /** The job, and the file as its results name it, if it predicted that frame of it. */
  private async predicted(jobId: string, file: string, frame: number): Promise<{ job: BatchJob; where: string }> {
    const job = await this.jobs.job(jobId);
    const where = path.resolve(file);
    const row = await this.results.predicted(job.out, this.workspaces.require().db, where, frame);
    if (!row)
      throw new LoupeError(
        'NOT_FOUND',
        `${where}${frame > 0 ? ` (frame ${frame + 1})` : ''} is not among the files batch ${jobId} predicted.`,
      );
    return { job, where };
  }

  private async decoded<T>(file: string, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      if (error.failure === 'unreadable')
        throw new LoupeError('NOT_FOUND', `${file} can no longer be read (moved or deleted since the batch?).`);
      throw new LoupeError('BAD_IMAGE', error.message);
    }
  }
}
