/**
 * `loupe explain` for detection and verification runs: the engine's explain method gives a map
 * per box (each written as a grey heatmap and an overlay with its box drawn) or a map on each
 * image of a pair (the similarity against the card's threshold beside them). Unreadable files are
 * listed and skipped, as for classification.
 */
import path from 'node:path';
import {
  LoupeError,
  isLoupeError,
  type ExplainedPair,
  type ExplainWriteReply,
  type ParsedRequestOf,
  type SplitName,
} from '../../../contract/index';
import type { DecodedFrame } from '../../../ml/decode/types';
import type { EngineRequestOf } from '../../../contract/engine/protocol';
import type { EngineSupervisor } from '../../engine/supervisor';
import { engineFrame } from '../batch/batch-job';
import type { ImagingService } from '../imaging/imaging-service';
import { requireTask } from '../labels/tasks';
import type { RunRow } from '../training/run-store';
import type { Workspace } from '../workspace/workspace';
import { outputNames, writeOutputFile } from './explain-output';
import { boxOverlayPng, heatmapPng, overlayPng } from './heatmap-png';

export interface ImageToExplain {
  path: string;
  imageId: number | null;
}

export interface PairToExplain {
  a: ImageToExplain;
  b: ImageToExplain;
}

/** What the writers share with `explain.write`: the run's model, where to write, and the reply they fill. */
export interface ExplainJob {
  imaging: ImagingService;
  engine: EngineSupervisor;
  modelDir: string;
  request: ParsedRequestOf<'explain.write'>;
  reply: ExplainWriteReply;
  signal: AbortSignal;
  /** Called after each image or pair, explained or failed. */
  report: () => void;
}

/** Stops on cancel (`null`), rethrows what the user must fix, turns a bad file into a failure entry. */
async function readFrame(job: ExplainJob, file: string): Promise<DecodedFrame | null> {
  try {
    return await job.imaging.pool.frame(file, 0);
  } catch (error) {
    job.reply.failed.push({ path: file, reason: error instanceof Error ? error.message : String(error) });
    job.report();
    return null;
  }
}

async function callEngine(job: ExplainJob, call: Pick<EngineRequestOf<'explain'>, 'frames' | 'pairs'>) {
  try {
    const reply = await job.engine.call(
      'explain',
      {
        modelDir: job.modelDir,
        method: job.request.method,
        trust: false,
        ...(job.request.targetLayer === undefined ? {} : { targetLayer: job.request.targetLayer }),
        ...call,
      },
      { signal: job.signal },
    );
    if (reply.layers) job.reply.layers = reply.layers;
    job.reply.targetLayer = reply.targetLayer ?? job.reply.targetLayer;
    return reply;
  } catch (error) {
    if (job.signal.aborted || (isLoupeError(error) && error.code === 'CANCELLED')) return null;
    throw error;
  }
}

/** The name of one output file: the image's names with a suffix before `.png`. */
const suffixed = (name: string, suffix: string): string => name.replace(/\.png$/, `-${suffix}.png`);

export async function writeBoxes(job: ExplainJob, images: readonly ImageToExplain[]): Promise<void> {
  const out = job.reply.out;
  job.reply.boxes = [];
  for (const [index, image] of images.entries()) {
    if (job.signal.aborted) return;
    const frame = await readFrame(job, image.path);
    if (!frame) continue;
    const reply = await callEngine(job, { frames: [engineFrame(frame)] });
    if (!reply) return;
    const found = reply.boxes?.[0];
    if (!found) throw new LoupeError('INTERNAL', 'The engine returned no boxes for a detection model.');
    const names = outputNames(index, images.length, image.path);
    const width = String(found.boxes.length).length;
    const boxes = [];
    for (const [k, b] of found.boxes.entries()) {
      const tag = `box${String(k + 1).padStart(width, '0')}`;
      const heatmap = { values: b.heatmap, rows: b.rows, columns: b.columns };
      const files = { heatmap: suffixed(names.heatmap, tag), overlay: suffixed(names.overlay, tag) };
      await writeOutputFile(out, files.heatmap, await heatmapPng(heatmap));
      await writeOutputFile(out, files.overlay, await boxOverlayPng(frame, heatmap, b.box));
      boxes.push({
        box: b.box,
        score: b.score,
        classIndex: b.classIndex,
        className: reply.classes[b.classIndex] ?? String(b.classIndex),
        peak: b.peak,
        heatmapPeak: b.heatmapPeak,
        ...files,
      });
    }
    job.reply.boxes.push({
      ...image,
      rows: frame.rows,
      columns: frame.columns,
      boxes,
      boxesLeftOut: found.boxesLeftOut,
    });
    job.report();
  }
}

export async function writePairs(job: ExplainJob, pairs: readonly PairToExplain[]): Promise<void> {
  const out = job.reply.out;
  job.reply.pairs = [];
  for (const [index, pair] of pairs.entries()) {
    if (job.signal.aborted) return;
    const frameA = await readFrame(job, pair.a.path);
    const frameB = frameA && (await readFrame(job, pair.b.path));
    if (!frameA || !frameB) continue;
    const reply = await callEngine(job, {
      frames: [engineFrame(frameA), engineFrame(frameB)],
      pairs: [{ a: 0, b: 1 }],
    });
    if (!reply) return;
    const explained = reply.pairs?.[0];
    if (!explained) throw new LoupeError('INTERNAL', 'The engine returned no pair for a verification model.');
    const side = async (image: ImageToExplain, frame: DecodedFrame, map: typeof explained.mapA, tag: string) => {
      const names = outputNames(index, pairs.length, image.path);
      const files = { heatmap: suffixed(names.heatmap, tag), overlay: suffixed(names.overlay, tag) };
      const heatmap = { values: map.heatmap, rows: map.rows, columns: map.columns };
      await writeOutputFile(out, files.heatmap, await heatmapPng(heatmap));
      await writeOutputFile(out, files.overlay, await overlayPng(frame, heatmap));
      return { ...image, rows: map.rows, columns: map.columns, ...files, heatmapPeak: map.heatmapPeak };
    };
    const threshold = reply.threshold ?? null;
    const entry: ExplainedPair = {
      a: await side(pair.a, frameA, explained.mapA, 'a'),
      b: await side(pair.b, frameB, explained.mapB, 'b'),
      similarity: explained.similarity,
      threshold,
      same: threshold === null ? null : explained.similarity >= threshold,
    };
    job.reply.pairs.push(entry);
    job.report();
  }
}

/** The task's labelled pairs whose two images both lie in `split` (as assigned now). */
export function taskPairs(
  ws: Workspace,
  row: RunRow,
  split: SplitName,
  pathOf: (imageId: number) => string,
): PairToExplain[] {
  if (row.taskId === null)
    throw new LoupeError(
      'INVALID_REQUEST',
      `The task run ${row.id} was trained on was deleted, so it has no pairs; give pairs of files with --pairs.`,
    );
  const task = requireTask(ws.db, row.taskId);
  const inSplit = `SELECT image_id FROM split_assignments WHERE task_id = @task AND split = @split
    AND image_id IN (SELECT id FROM images WHERE missing = 0)`;
  const rows = ws.db
    .prepare(
      `SELECT image_a AS a, image_b AS b FROM pairs WHERE task_id = @task
       AND image_a IN (${inSplit}) AND image_b IN (${inSplit}) ORDER BY id`,
    )
    .all({ task: task.id, split }) as { a: number; b: number }[];
  if (rows.length === 0)
    throw new LoupeError(
      'INVALID_REQUEST',
      `“${task.name}” has no pair with both images in its ${split} split; choose another split or give pairs of files with --pairs.`,
    );
  return rows.map((p) => ({ a: { path: pathOf(p.a), imageId: p.a }, b: { path: pathOf(p.b), imageId: p.b } }));
}

/** Pairs of files as given (`a` and `b` resolved to absolute paths). */
export function filePairs(pairs: readonly { a: string; b: string }[]): PairToExplain[] {
  return pairs.map((p) => ({
    a: { path: path.resolve(p.a), imageId: null },
    b: { path: path.resolve(p.b), imageId: null },
  }));
}
