/**
 * `loupe predict merge`: joins the output folders of the shards of one batch into one folder,
 * as if one machine had predicted everything. It refuses folders of different models, a shard
 * missing, given twice or unfinished, and a file present in two shards; results are streamed
 * (byte ranges up to each shard's last committed file), so memory stays flat.
 */
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { LoupeError } from '../../../contract/index';
import { writeFileAtomic } from '../../../base/atomic-write';
import { writeCoco } from './coco';
import { csvHeader, CSV_FILE, JSONL_FILE, MASKS_FOLDER, YOLO_FOLDER, type ModelFacts } from './formats';
import { HEATMAPS_FOLDER } from './heatmap-files';
import {
  BATCH_FILE,
  MANIFEST_FILE,
  readHeader,
  readManifest,
  type BatchHeader,
  type ManifestEntry,
} from './output-folder';

export interface MergeReport {
  out: string;
  shards: number;
  files: number;
  failed: number;
}

async function appendRange(out: NodeJS.WritableStream, file: string, start: number, end: number): Promise<void> {
  if (end <= start) return;
  for await (const chunk of createReadStream(file, { start, end: end - 1 })) {
    if (!out.write(chunk as Buffer)) await once(out, 'drain');
  }
}

async function shardsOf(dirs: readonly string[]): Promise<{ dir: string; header: BatchHeader }[]> {
  const shards = [];
  for (const dir of dirs) {
    const header = await readHeader(dir);
    if (!header) throw new LoupeError('INVALID_REQUEST', `${dir} holds no Loupe batch results (no ${BATCH_FILE}).`);
    if (!header.complete)
      throw new LoupeError('INVALID_REQUEST', `${dir} is unfinished; run it again with --resume before merging.`);
    shards.push({ dir, header });
  }
  const first = shards[0]!.header;
  for (const { dir, header } of shards) {
    if (header.modelId !== first.modelId || header.weightsSha256 !== first.weightsSha256) {
      throw new LoupeError(
        'INVALID_REQUEST',
        `${dir} holds results of another model (${header.modelId}) than ${shards[0]!.dir} (${first.modelId}).`,
      );
    }
    if (header.formats.join(',') !== first.formats.join(','))
      throw new LoupeError(
        'INVALID_REQUEST',
        `${dir} was written in other formats (${header.formats.join(',')}) than ${shards[0]!.dir}.`,
      );
  }
  const count = first.shard?.count ?? 1;
  const seen = new Map<number, string>();
  for (const { dir, header } of shards) {
    if ((header.shard?.count ?? 1) !== count)
      throw new LoupeError(
        'INVALID_REQUEST',
        `${dir} is one of ${header.shard?.count ?? 1} shards; ${shards[0]!.dir} is one of ${count}.`,
      );
    const index = header.shard?.index ?? 0;
    if (seen.has(index))
      throw new LoupeError('INVALID_REQUEST', `Shard ${index}/${count} is given twice: ${seen.get(index)} and ${dir}.`);
    seen.set(index, dir);
  }
  const absent = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (absent.length > 0)
    throw new LoupeError(
      'INVALID_REQUEST',
      `Shard${absent.length === 1 ? '' : 's'} ${absent.map((i) => `${i}/${count}`).join(', ')} ${absent.length === 1 ? 'is' : 'are'} missing; merge needs all ${count}.`,
    );
  return shards.sort((a, b) => (a.header.shard?.index ?? 0) - (b.header.shard?.index ?? 0));
}

export async function mergeBatches(dirs: readonly string[], outDir: string): Promise<MergeReport> {
  if (dirs.length === 0) throw new LoupeError('INVALID_REQUEST', 'Name the shard folders to merge.');
  const out = path.resolve(outDir);
  const shards = await shardsOf(dirs.map((d) => path.resolve(d)));
  const existing = await fs.readdir(out).catch(() => []);
  if (existing.length > 0)
    throw new LoupeError('INVALID_REQUEST', `${out} is not empty; merge into an empty or new folder.`);
  await fs.mkdir(out, { recursive: true });
  const first = shards[0]!.header;
  const model: ModelFacts = {
    modelId: first.modelId,
    weightsSha256: first.weightsSha256,
    task: first.task as ModelFacts['task'],
    classes: first.classes,
  };
  const csvHeaderBytes = Buffer.byteLength(csvHeader(model));

  const owner = new Map<string, string>();
  const manifests: ManifestEntry[][] = [];
  for (const { dir } of shards) {
    const { entries } = await readManifest(dir);
    for (const entry of entries) {
      const other = owner.get(entry.path);
      if (other)
        throw new LoupeError(
          'INVALID_REQUEST',
          `${entry.path} was predicted in two shards (${other} and ${dir}); they are not shards of one split.`,
        );
      owner.set(entry.path, dir);
    }
    manifests.push(entries);
  }

  const resultFiles = [CSV_FILE, JSONL_FILE];
  const streams = new Map(resultFiles.map((name) => [name, createWriteStream(path.join(out, name))]));
  const manifestOut = createWriteStream(path.join(out, MANIFEST_FILE));
  const totals: Record<string, number> = {};
  let failed = 0;
  for (const [i, { dir }] of shards.entries()) {
    const entries = manifests[i]!;
    const ends = entries.at(-1)?.ends ?? {};
    const before: Record<string, number> = {};
    const skip: Record<string, number> = {};
    for (const name of resultFiles) {
      const end = ends[name] ?? 0;
      // Each shard's CSV starts with the header; the merged CSV keeps the first one only.
      const start = name === CSV_FILE && (totals[name] ?? 0) > 0 && end > 0 ? csvHeaderBytes : 0;
      await appendRange(streams.get(name)!, path.join(dir, name), start, end);
      before[name] = totals[name] ?? 0;
      skip[name] = start;
      if (end > 0) totals[name] = (totals[name] ?? 0) + end - start;
    }
    for (const entry of entries) {
      if (entry.status === 'failed') failed++;
      // Where this file's rows end in the merged files (the skipped repeat of the CSV header aside).
      const shifted = Object.fromEntries(
        Object.entries(entry.ends).map(([name, n]) => [name, (before[name] ?? 0) + Math.max(0, n - (skip[name] ?? 0))]),
      );
      if (!manifestOut.write(`${JSON.stringify({ ...entry, ends: shifted })}\n`)) await once(manifestOut, 'drain');
    }
    for (const folder of [MASKS_FOLDER, YOLO_FOLDER, HEATMAPS_FOLDER]) {
      await fs
        .cp(path.join(dir, folder), path.join(out, folder), { recursive: true })
        .catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        });
    }
  }
  await Promise.all([...streams.values(), manifestOut].map(async (s) => (s.end(), once(s, 'finish'))));
  for (const name of resultFiles) if (!totals[name]) await fs.rm(path.join(out, name), { force: true });
  if (model.task === 'detection' && first.formats.includes('coco')) await writeCoco(out, model);
  await writeFileAtomic(
    path.join(out, BATCH_FILE),
    `${JSON.stringify({ ...first, shard: null, complete: true, createdAt: new Date().toISOString() }, null, 2)}\n`,
  );
  return { out, shards: shards.length, files: owner.size, failed };
}
