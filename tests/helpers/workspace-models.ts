/**
 * Workspaces with generated detection and verification data, labelled through the labels
 * channels as a user would (import PNG files, save boxes, tag classes, assign splits), and runs
 * trained on them with the configuration training.defaults proposes: the path of the Train
 * section and `loupe train`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encode } from 'fast-png';
import type { TaskKind } from '../../contract/index';
import { detectionSet, SHAPE_CLASSES, type DetectionSample } from '../fixtures/detection-shapes';
import { partSet, type PartView } from '../fixtures/verification-parts';
import type { caller } from './labels';

type Call = ReturnType<typeof caller>;

/** Writes an 8- or 16-bit grey PNG (the fixtures alternate both). */
export function writePng(
  file: string,
  image: { width: number; height: number; bitDepth: 8 | 16; pixels: Uint8Array | Uint16Array },
): void {
  writeFileSync(
    file,
    encode({ width: image.width, height: image.height, data: image.pixels, depth: image.bitDepth, channels: 1 }),
  );
}

/** Imports a folder; returns file name → image id. */
export async function importFolder(call: Call, folder: string): Promise<Map<string, number>> {
  await call('imaging.import', { paths: [folder] });
  const { items } = await call('imaging.list', { limit: 10_000 });
  return new Map(items.map((item) => [item.fileName, item.id]));
}

export interface DetectionWorkspaceArgs {
  /** Images; split at random by image, as assignSplits does. */
  count: number;
  seed: number;
  fractions: { train: number; val: number; test: number };
}

/** Shapes on textured 8- and 16-bit backgrounds with their boxes saved in a detection task. */
export async function detectionWorkspace(call: Call, folder: string, args: DetectionWorkspaceArgs) {
  mkdirSync(folder, { recursive: true });
  const samples = detectionSet({ count: args.count, seed: args.seed });
  const name = (i: number) => `shape-${String(i).padStart(4, '0')}.png`;
  samples.forEach((s, i) => writePng(path.join(folder, name(i)), s));
  const ids = await importFolder(call, folder);
  const task = await call('labels.createTask', {
    name: 'Shapes',
    kind: 'detection',
    classes: SHAPE_CLASSES.map((n) => ({ name: n })),
  });
  const byImage = new Map<number, DetectionSample>();
  for (const [i, sample] of samples.entries()) {
    const imageId = ids.get(name(i))!;
    byImage.set(imageId, sample);
    const boxes = sample.objects.map(({ box, classId }) => ({
      classId: task.classes[classId]!.id,
      x1: box[0],
      y1: box[1],
      x2: box[2],
      y2: box[3],
    }));
    await call('labels.save', { taskId: task.id, imageId, saveId: `s${i}`, baseRevision: 0, boxes });
  }
  await call('labels.assignSplits', {
    taskId: task.id,
    fractions: args.fractions,
    groupBy: { kind: 'image' },
    seed: args.seed,
  });
  return { task, samples: byImage };
}

export interface IdentityWorkspaceArgs {
  identities: number;
  viewsPerIdentity: number;
  seed: number;
  fractions: { train: number; val: number; test: number };
}

/**
 * Views of generated parts in a classification task with one class per part (its serial
 * number), split by part so no part of the test split was seen in training.
 */
export async function identityWorkspace(call: Call, folder: string, args: IdentityWorkspaceArgs) {
  mkdirSync(folder, { recursive: true });
  const views = partSet({ identities: args.identities, viewsPerIdentity: args.viewsPerIdentity, seed: args.seed });
  const name = (v: number) => `part${String(views[v]!.identity).padStart(3, '0')}-view${v % args.viewsPerIdentity}.png`;
  views.forEach((view, v) => writePng(path.join(folder, name(v)), view));
  const ids = await importFolder(call, folder);
  const task = await call('labels.createTask', { name: 'Part serials', kind: 'classification' });
  /** Image ids of each part's views, by part index. */
  const parts: number[][] = [];
  const byImage = new Map<number, PartView>();
  for (let part = 0; part < args.identities; part++) {
    const serial = await call('labels.addClass', { taskId: task.id, name: `SN-${1000 + part}` });
    const imageIds = Array.from(
      { length: args.viewsPerIdentity },
      (_, k) => ids.get(name(part * args.viewsPerIdentity + k))!,
    );
    imageIds.forEach((id, k) => byImage.set(id, views[part * args.viewsPerIdentity + k]!));
    await call('labels.assign', { taskId: task.id, imageIds, mode: 'set', classId: serial.id });
    parts.push(imageIds);
  }
  await call('labels.assignSplits', {
    taskId: task.id,
    fractions: args.fractions,
    groupBy: { kind: 'filename', pattern: '^(part\\d+)-' },
    seed: args.seed,
  });
  return { task, parts, views: byImage };
}

/**
 * Trains a run with the configuration training.defaults proposes (only `epochs` set) and waits
 * for it; returns the run, the defaults, and the training time in seconds.
 */
export async function trainWithDefaults(call: Call, taskId: number, options: { epochs: number; kind?: TaskKind }) {
  const defaults = await call('training.defaults', { taskId, ...(options.kind ? { kind: options.kind } : {}) });
  const started = performance.now();
  const run = await call('training.start', { taskId, config: { ...defaults.config, epochs: options.epochs } });
  const finished = await call('training.watch', { runId: run.runId });
  const seconds = (performance.now() - started) / 1000;
  if (finished.state !== 'completed') throw new Error(`run ${run.runId} ${finished.state}: ${finished.error ?? ''}`);
  return { defaults, run: finished, seconds };
}
