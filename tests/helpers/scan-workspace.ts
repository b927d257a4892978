/**
 * A workspace of synthetic scans set up the way a user would: the scans written as 16-bit PNG
 * files, imported with the import service, labelled (class tags or lesion masks) and split
 * through the labels channels. Training tests (service, CLI, UI) start from here.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encode } from 'fast-png';
import type { ChannelName, ReplyOf, RequestOf } from '../../contract/index';
import { makeSyntheticScans, type SyntheticScan, type SyntheticScanOptions } from '../fixtures/synthetic-scans';

export type Call = <C extends ChannelName>(channel: C, request: RequestOf<C>) => Promise<ReplyOf<C>>;

/** Shares the test split gets a quarter of: enough images that one error costs under 0.05 accuracy. */
export const SCAN_SPLITS = { train: 0.6, val: 0.15, test: 0.25 } as const;

/** Writes each scan as a 16-bit greyscale PNG `<id>.png` (stored values: HU + 1024). */
export function writeScanFiles(scans: readonly SyntheticScan[], folder: string): void {
  mkdirSync(folder, { recursive: true });
  for (const scan of scans) {
    const png = encode({
      width: scan.frame.columns,
      height: scan.frame.rows,
      data: scan.frame.data,
      depth: 16,
      channels: 1,
    });
    writeFileSync(path.join(folder, `${scan.id}.png`), png);
  }
}

export interface ScanWorkspace {
  scans: SyntheticScan[];
  /** Scan id → workspace image id. */
  imageIds: Map<string, number>;
}

/** Generates, writes and imports scans into the open workspace. */
export async function importScans(call: Call, folder: string, options: SyntheticScanOptions): Promise<ScanWorkspace> {
  const scans = makeSyntheticScans(options);
  writeScanFiles(scans, folder);
  const report = await call('imaging.import', { paths: [folder] });
  if (report.imported !== scans.length)
    throw new Error(
      `imported ${report.imported} of ${scans.length} scans: ${JSON.stringify(report.files.filter((f) => f.status !== 'imported'))}`,
    );
  const { items } = await call('imaging.list', { limit: 1000 });
  const imageIds = new Map(items.map((item) => [path.basename(item.fileName, '.png'), item.id]));
  return { scans, imageIds };
}

/** A classification task (normal / lesion) with every scan tagged and split; returns its id. */
export async function labelClassification(call: Call, workspace: ScanWorkspace, name = 'Lesion'): Promise<number> {
  const task = await call('labels.createTask', {
    name,
    kind: 'classification',
    classes: [{ name: 'normal' }, { name: 'lesion' }],
  });
  const [normal, lesion] = task.classes;
  const ids = (abnormal: boolean) =>
    workspace.scans.filter((s) => s.abnormal === abnormal).map((s) => workspace.imageIds.get(s.id)!);
  await call('labels.assign', { taskId: task.id, imageIds: ids(false), mode: 'set', classId: normal!.id });
  await call('labels.assign', { taskId: task.id, imageIds: ids(true), mode: 'set', classId: lesion!.id });
  await call('labels.assignSplits', { taskId: task.id, fractions: SCAN_SPLITS, groupBy: { kind: 'image' }, seed: 1 });
  return task.id;
}

/** A segmentation task (one class, lesion) with every scan's mask saved and split; returns its id. */
export async function labelSegmentation(
  call: Call,
  workspace: ScanWorkspace,
  name = 'Lesion outline',
): Promise<number> {
  const task = await call('labels.createTask', { name, kind: 'segmentation', classes: [{ name: 'lesion' }] });
  const maskIndex = task.classes[0]!.maskIndex!;
  for (const scan of workspace.scans) {
    const data = scan.mask.map((v) => (v ? maskIndex : 0));
    await call('labels.save', {
      taskId: task.id,
      imageId: workspace.imageIds.get(scan.id)!,
      saveId: randomUUID(),
      baseRevision: 0,
      mask: { width: scan.frame.columns, height: scan.frame.rows, data },
    });
  }
  await call('labels.assignSplits', { taskId: task.id, fractions: SCAN_SPLITS, groupBy: { kind: 'image' }, seed: 1 });
  return task.id;
}
