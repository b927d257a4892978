/**
 * The Batch section's viewer on a job's results: a predicted file, in the workspace or not, its
 * frames for the viewer and the heatmap of a classifier's prediction on it. Only a file and frame
 * the job's results list as predicted can be named, so no other path on the machine is read.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LoupeError, type BatchJob, type FramePixels, type ImageInfo, type ReplyOf } from '../../../contract/index';
import { engineFrame } from '../../../ml/decode/engine-frame';
import { DecodeError } from '../../../ml/decode/errors';
import type { EngineSupervisor } from '../../engine/supervisor';
import type { DecodePool } from '../imaging/decode-pool';
import { framePixels } from '../imaging/frame-pixels';
import { nextClassColor } from '../labels/colors';
import { listTasks } from '../labels/tasks';
import { RunStore } from '../training/run-store';
import { decodeMaskPng } from '../labels/mask-files';
import type { WorkspaceService } from '../workspace/workspace-service';
import type { BatchJobs } from './batch-jobs';
import type { BatchResults, LineDetail } from './batch-results';
import type { BatchService } from './batch-service';

/** The method of a job that wrote no heatmaps: Grad-CAM, as the Review section starts with. */
const DEFAULT_METHOD = 'gradcam';

/** Files whose description is kept for stepping through their frames: the one open and a few before it. */
const KEPT_FILE_INFOS = 8;

export class BatchView {
  private readonly infos = new Map<string, ImageInfo>();

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
    this.remember(where, info);
    return { fileName: path.basename(where), info };
  }

  async frame(jobId: string, file: string, frame: number): Promise<FramePixels> {
    const { where } = await this.predicted(jobId, file, frame);
    // The file's windows and unit from when the viewer opened it: a step through a volume's frames
    // decodes the frame asked for, not the whole file each time.
    const known = this.infos.get(where);
    if (known) return framePixels(0, frame, await this.decoded(where, () => this.pool.frame(where, frame)), known);
    const { info, frames } = await this.decoded(where, () => this.pool.read(where));
    this.remember(where, info);
    const decoded = frames[frame];
    if (!decoded)
      throw new LoupeError('NOT_FOUND', `${where} has no frame ${frame + 1} now; it changed since the batch.`);
    // Not a workspace image: id 0.
    return framePixels(0, frame, decoded, info);
  }

  /** Keeps the description of the files opened last. */
  private remember(file: string, info: ImageInfo): void {
    this.infos.delete(file);
    this.infos.set(file, info);
    while (this.infos.size > KEPT_FILE_INFOS) this.infos.delete(this.infos.keys().next().value!);
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

  async prediction(jobId: string, file: string, frame: number): Promise<ReplyOf<'batch.prediction'>> {
    const { job, detail } = await this.predicted(jobId, file, frame);
    const classes = this.classColors(job);
    const boxes = detail.boxes ?? null;
    const matches = detail.matches ?? null;
    if (!detail.mask) return { classes, boxes, matches, mask: null };
    // The mask file the job wrote, named in its own results: refused should it point outside its folder.
    const maskFile = path.resolve(job.out, detail.mask);
    if (!maskFile.startsWith(path.resolve(job.out) + path.sep))
      throw new LoupeError('INTERNAL', `Batch ${jobId} names a mask outside its folder: ${detail.mask}.`);
    const bytes = await fs.readFile(maskFile).catch(() => null);
    if (!bytes)
      throw new LoupeError('NOT_FOUND', `${maskFile} is gone; the batch wrote it, so its folder was changed since.`);
    const mask = await decodeMaskPng(bytes).catch((error: unknown) => {
      throw new LoupeError('BAD_IMAGE', `${maskFile} is not the mask the batch wrote: ${(error as Error).message}`);
    });
    return { classes, boxes, matches, mask: { rows: mask.height, columns: mask.width, data: mask.data } };
  }

  /**
   * Each class of the job's model with its colour: a run's task colour where the task has a class of
   * that name, else the next colour a new class would get.
   */
  private classColors(job: BatchJob): { name: string; color: string }[] {
    const ws = this.workspaces.require();
    const taskId = 'runId' in job.model ? new RunStore(ws).require(job.model.runId).taskId : null;
    const task = taskId === null ? undefined : listTasks(ws.db).find((t) => t.id === taskId);
    const byName = new Map((task?.classes ?? []).map((c) => [c.name.toLowerCase(), c.color]));
    const colors: string[] = [];
    for (const name of job.classes)
      colors.push(byName.get(name.toLowerCase()) ?? nextClassColor([...byName.values(), ...colors]));
    return job.classes.map((name, i) => ({ name, color: colors[i]! }));
  }

  /** The job, the file as its results name it and what they say of it, if it predicted that frame of it. */
  private async predicted(
    jobId: string,
    file: string,
    frame: number,
  ): Promise<{ job: BatchJob; where: string; detail: LineDetail }> {
    const job = await this.jobs.job(jobId);
    const where = path.resolve(file);
    const found = await this.results.predicted(job.out, this.workspaces.require().db, where, frame);
    if (!found)
      throw new LoupeError(
        'NOT_FOUND',
        `${where}${frame > 0 ? ` (frame ${frame + 1})` : ''} is not among the files batch ${jobId} predicted.`,
      );
    return { job, where, detail: found.detail };
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
