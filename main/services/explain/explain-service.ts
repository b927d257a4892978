/**
 * `explain.write` (contract/channels/explain-write.ts): a completed run's model explains the
 * images of a split or some files through the engine's explain method (the same Grad-CAM family
 * and trust measures as Review), and each heatmap is written as PNGs beside explain.json;
 * detection and verification runs go through explain-boxes-pairs.ts (a map per box, a map per
 * image of a pair). A file that cannot be read is reported and skipped; a model that cannot
 * explain (CAM on a head without global pooling) stops the run with the engine's reason.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  defaultExplainMethod,
  GRADIENT_CAM_METHODS,
  LoupeError,
  isLoupeError,
  type ExplainImagesSource,
  type ExplainWriteProgress,
  type ExplainWriteReply,
  type ExplainedImage,
  type ExplainMethodName,
  type FrameExplanationReply,
  type ParsedRequestOf,
} from '../../../contract/index';
import type { DecodedFrame } from '../../../ml/decode/types';
import { runFile } from '../../../base/run-files';
import type { EngineSupervisor } from '../../engine/supervisor';
import { engineFrame } from '../batch/batch-job';
import { modelFacts } from '../batch/batch-service';
import type { ImagingService } from '../imaging/imaging-service';
import { walkFiles } from '../imaging/file-walk';
import { requireTask } from '../labels/tasks';
import { sourceImageIds } from '../review/queue';
import { RunStore, type RunRow } from '../training/run-store';
import type { Workspace } from '../workspace/workspace';
import type { WorkspaceService } from '../workspace/workspace-service';
import {
  filePairs,
  taskPairs,
  writeBoxes,
  writePairs,
  type ExplainJob,
  type ImageToExplain,
  type PairToExplain,
} from './explain-boxes-pairs';
import { outputNames, prepareOutput, writeExplainFile, writeOutputFile } from './explain-output';
import { heatmapPng, overlayPng } from './heatmap-png';

/**
 * Methods for models other than classifiers: Seg-Grad-CAM differentiates the region's summed
 * class logits, detection a box's heatmap logit, verification a pair's cosine similarity.
 */
const GRADIENT_METHODS: readonly ExplainMethodName[] = GRADIENT_CAM_METHODS;

/**
 * The model folder of a completed classification or segmentation run, or a refusal that says what
 * would do; with `method`, also refuses a method the model's kind has no explanation for.
 */
export function explainableRun(
  ws: Workspace,
  runId: string,
  method?: ExplainMethodName,
): { row: RunRow; modelDir: string } {
  const store = new RunStore(ws);
  const row = store.require(runId);
  if (row.kind !== 'classification' && method !== undefined && !GRADIENT_METHODS.includes(method))
    throw new LoupeError(
      'INVALID_REQUEST',
      `Run ${runId} trained a ${row.kind} model, explained with ${GRADIENT_METHODS.join(', ')}${row.kind === 'segmentation' ? ' (Seg-Grad-CAM)' : ''}; ${method} is for classifiers.`,
    );
  const modelDir = runFile(store.folder(runId), 'model');
  if (row.state !== 'completed' || !existsSync(modelDir))
    throw new LoupeError(
      'INVALID_REQUEST',
      `Run ${runId} is ${row.state}; only a completed run's model can be explained.`,
    );
  return { row, modelDir };
}

/** The index of a class named by the user: exactly, else ignoring case; unknown names list the valid ones. */
export function classIndexOf(classes: readonly string[], name: string): number {
  const exact = classes.indexOf(name);
  if (exact >= 0) return exact;
  const folded = classes.findIndex((c) => c.toLowerCase() === name.toLowerCase());
  if (folded >= 0) return folded;
  throw new LoupeError('INVALID_REQUEST', `The model has no class “${name}”; its classes are: ${classes.join(', ')}.`);
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class ExplainService {
  constructor(
    private readonly workspaces: WorkspaceService,
    private readonly imaging: ImagingService,
    private readonly engine: EngineSupervisor,
  ) {}

  /** The images to explain, listed before anything is written (the output folder may lie under an input). */
  private async images(
    ws: Workspace,
    row: RunRow,
    source: ExplainImagesSource,
    out: string,
    signal: AbortSignal,
  ): Promise<ImageToExplain[]> {
    if (source.kind === 'split') {
      if (row.taskId === null)
        throw new LoupeError(
          'INVALID_REQUEST',
          `The task run ${row.id} was trained on was deleted, so it has no ${source.split} split; name image files instead.`,
        );
      const task = requireTask(ws.db, row.taskId);
      const ids = sourceImageIds(ws.db, task, source);
      if (ids.length === 0)
        throw new LoupeError('INVALID_REQUEST', `“${task.name}” has no image in its ${source.split} split.`);
      return ids.map((id) => ({ path: this.imaging.get(id).record.path, imageId: id }));
    }
    if (source.kind === 'pairs')
      throw new LoupeError(
        'INVALID_REQUEST',
        `Run ${row.id} trained a ${row.kind} model; pairs of images are for verification runs.`,
      );
    const inputs = source.paths.map((p) => path.resolve(p));
    const missing = inputs.filter((p) => !existsSync(p));
    if (missing.length > 0)
      throw new LoupeError(
        'NOT_FOUND',
        `${missing.length === 1 ? 'This input does' : 'These inputs do'} not exist: ${missing.join(', ')}.`,
      );
    const found: ImageToExplain[] = [];
    const seen = new Set<string>();
    for await (const file of walkFiles(inputs, signal)) {
      // Earlier explanations in the output folder are results, not inputs.
      if (file.path.startsWith(out + path.sep) || seen.has(file.path)) continue;
      seen.add(file.path);
      found.push({ path: file.path, imageId: null });
    }
    if (found.length === 0) throw new LoupeError('INVALID_REQUEST', `There is no file under ${inputs.join(', ')}.`);
    return found;
  }

  /** A verification run's pairs: the task's in a split, or pairs of files. */
  private pairs(ws: Workspace, row: RunRow, source: ExplainImagesSource): PairToExplain[] {
    if (source.kind === 'pairs') {
      const missing = source.pairs.flatMap((p) => [p.a, p.b]).filter((p) => !existsSync(p));
      if (missing.length > 0)
        throw new LoupeError('NOT_FOUND', `These images do not exist: ${[...new Set(missing)].join(', ')}.`);
      return filePairs(source.pairs);
    }
    if (source.kind === 'files')
      throw new LoupeError(
        'INVALID_REQUEST',
        `Run ${row.id} trained a verification model, which compares pairs of images: give pairs of files (--pairs A B …) or a split of its task.`,
      );
    return taskPairs(ws, row, source.split, (id) => this.imaging.get(id).record.path);
  }

  async write(
    asked: ParsedRequestOf<'explain.write'>,
    signal: AbortSignal,
    progress: (p: ExplainWriteProgress) => void,
  ): Promise<ExplainWriteReply> {
    const ws = this.workspaces.require();
    const { row, modelDir } = explainableRun(ws, asked.runId, asked.method);
    const method = asked.method ?? defaultExplainMethod(row.kind);
    const request = { ...asked, method };
    const { card, facts } = await modelFacts(modelDir);
    if (request.className !== undefined && (row.kind === 'detection' || row.kind === 'verification'))
      throw new LoupeError(
        'INVALID_REQUEST',
        row.kind === 'detection'
          ? 'A detection run is explained box by box, each for its own class; leave out the class.'
          : 'A verification run has no classes; leave out the class.',
      );
    const classIndex = request.className === undefined ? undefined : classIndexOf(card.classes, request.className);
    const out = path.resolve(request.out);
    const pairs = row.kind === 'verification' ? this.pairs(ws, row, request.source) : null;
    const images = pairs ? [] : await this.images(ws, row, request.source, out, signal);
    await prepareOutput(out, request.force);
    const reply: ExplainWriteReply = {
      out,
      runId: request.runId,
      method: request.method,
      classes: card.classes,
      targetLayer: null,
      images: [],
      failed: [],
      cancelled: false,
    };
    const done = (): number =>
      reply.images.length + (reply.boxes?.length ?? 0) + (reply.pairs?.length ?? 0) + reply.failed.length;
    const report = (): void =>
      progress({ done: done(), total: pairs?.length ?? images.length, failed: reply.failed.length });
    report();
    if (pairs || row.kind === 'detection') {
      const job: ExplainJob = { imaging: this.imaging, engine: this.engine, modelDir, request, reply, signal, report };
      if (pairs) await writePairs(job, pairs);
      else await writeBoxes(job, images);
      reply.cancelled = signal.aborted;
      await writeExplainFile(reply, facts.weightsSha256);
      return reply;
    }
    for (const [index, image] of images.entries()) {
      if (signal.aborted) break;
      let frame: DecodedFrame;
      try {
        frame = await this.imaging.pool.frame(image.path, 0);
      } catch (error) {
        reply.failed.push({ path: image.path, reason: reasonOf(error) });
        report();
        continue;
      }
      const call = {
        modelDir,
        frames: [engineFrame(frame)],
        method: request.method,
        trust: true,
        ...(classIndex === undefined ? {} : { classIndex }),
        ...(request.targetLayer === undefined ? {} : { targetLayer: request.targetLayer }),
      };
      let explained: FrameExplanationReply;
      try {
        const engineReply = await this.engine.call('explain', call, { signal });
        explained = engineReply.explanations[0]!;
        if (engineReply.layers) reply.layers = engineReply.layers;
      } catch (error) {
        if (signal.aborted || (isLoupeError(error) && error.code === 'CANCELLED')) break;
        throw error;
      }
      const heatmap = { values: explained.heatmap, rows: explained.rows, columns: explained.columns };
      const names = outputNames(index, images.length, image.path);
      await writeOutputFile(out, names.heatmap, await heatmapPng(heatmap));
      await writeOutputFile(out, names.overlay, await overlayPng(frame, heatmap));
      reply.targetLayer = explained.targetLayer;
      reply.images.push(entry(image, names, explained, card.classes));
      report();
    }
    reply.cancelled = signal.aborted;
    await writeExplainFile(reply, facts.weightsSha256);
    return reply;
  }
}

function entry(
  image: ImageToExplain,
  names: { heatmap: string; overlay: string },
  explained: FrameExplanationReply,
  classes: readonly string[],
): ExplainedImage {
  const trust = explained.trust;
  if (!trust) throw new LoupeError('INTERNAL', 'The engine returned an explanation without its trust measures.');
  return {
    path: image.path,
    imageId: image.imageId,
    rows: explained.rows,
    columns: explained.columns,
    ...names,
    className: classes[explained.classIndex] ?? String(explained.classIndex),
    classIndex: explained.classIndex,
    probability: explained.probability,
    peak: explained.peak,
    ...trust,
    ...(explained.region ? { region: explained.region } : {}),
  };
}
