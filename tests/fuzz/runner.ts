/**
 * The fuzz run: builds the mutants case by case, imports the image files in batches through
 * imaging.import (one workspace, as the CLI's `loupe import` does) and each label file through
 * labels.import, and gives every case a verdict. Refused label files must leave the workspace
 * exactly as it was; imported images must be within the pixel limit; the process's memory is
 * sampled after every batch.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MAX_DIMENSION, MAX_FRAME_PIXELS } from '../../ml/decode/limits';
import { openImage } from '../../ml/decode/index';
import { renderThumbnail } from '../../ml/decode/thumbnail';
import type { Corpus, FuzzFormat } from './corpus';
import { mutantFor, type ImageMutant, type Mutant } from './mutant';
import type { LabelBundle } from './mutate-labels';
import { imageVerdict, labelVerdict, type FindingKind, type Verdict } from './verdict';
import type { FuzzWorkspace } from './workspace';

/** Image files per imaging.import call: large enough to keep the decode workers busy. */
export const DEFAULT_BATCH = 150;
/**
 * A label import running longer than this is a hang. Label files here are at most a few hundred
 * KiB; the import of a valid one takes milliseconds. Same bound as the decoders' per-file cap.
 */
export const LABEL_TIME_LIMIT_MS = 30_000;
/**
 * Resident memory of the whole fuzz process (host, SQLite, decode workers) above which a batch is
 * a finding. Every seed is under 100 KiB; a mutant may claim up to MAX_DECODED_BYTES (1 GiB)
 * legitimately, and one worker may hold the file, the frame and a working copy of it.
 */
export const MEMORY_BOUND_BYTES = 4 * 1024 ** 3;

export interface Finding {
  index: number;
  format: FuzzFormat;
  seedName: string;
  what: string[];
  kind: FindingKind;
  message: string;
  /** For internal errors: what the decoder threw when the file is decoded again in this process. */
  detail?: string;
}

export interface FuzzReport {
  seed: number;
  first: number;
  files: number;
  counts: Record<string, { imported: number; refused: number; findings: number }>;
  /** Refusals by reason: the decode failure kind for images, the error code for label files. */
  reasons: Record<string, number>;
  findings: Finding[];
  peakRssBytes: number;
  seconds: number;
}

export interface FuzzOptions {
  seed: number;
  files: number;
  /** Index of the first case (re-running one finding: its index, files 1). */
  first?: number;
  batch?: number;
  /** Folder where each finding's file (or label folder) is written, named by seed and index. */
  findingsDir?: string;
  /** Scratch folder for the batches. */
  scratch: string;
  onBatch?: (done: number, total: number) => void;
}

function writeBundle(dir: string, bundle: LabelBundle): string {
  for (const [name, bytes] of bundle.files) {
    const target = path.join(dir, name);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, bytes);
  }
  mkdirSync(dir, { recursive: true });
  return path.join(dir, bundle.entry);
}

const fileName = (m: ImageMutant): string => `${String(m.index).padStart(7, '0')}-${m.format}.${m.extension}`;

/** Decodes a file again in this process, to show the error a finding's opaque "internal error" hides. */
async function redecode(bytes: Uint8Array): Promise<string> {
  try {
    const image = await openImage(bytes, 'finding');
    await renderThumbnail(await image.decodeFrame(Math.floor(image.info.frames / 2)));
    return 'decodes without error in-process';
  } catch (error) {
    return error instanceof Error
      ? `${error.name}: ${error.message} @ ${error.stack?.split('\n')[1]?.trim() ?? ''}`
      : String(error);
  }
}

async function withTimeLimit<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}

export async function runFuzz(ws: FuzzWorkspace, corpus: Corpus, options: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const first = options.first ?? 0;
  const batch = options.batch ?? DEFAULT_BATCH;
  const report: FuzzReport = {
    seed: options.seed,
    first,
    files: options.files,
    counts: {},
    reasons: {},
    findings: [],
    peakRssBytes: 0,
    seconds: 0,
  };

  const record = (m: Mutant, verdict: Verdict, detail?: string): void => {
    const counts = (report.counts[m.format] ??= { imported: 0, refused: 0, findings: 0 });
    if (verdict.outcome === 'imported') counts.imported += 1;
    else if (verdict.outcome === 'refused') {
      counts.refused += 1;
      report.reasons[`${m.format}: ${verdict.reason}`] = (report.reasons[`${m.format}: ${verdict.reason}`] ?? 0) + 1;
    } else {
      counts.findings += 1;
      const finding: Finding = {
        index: m.index,
        format: m.format,
        seedName: m.seedName,
        what: m.what,
        kind: verdict.kind,
        message: verdict.message,
        ...(detail ? { detail } : {}),
      };
      report.findings.push(finding);
      if (options.findingsDir) {
        const base = path.join(options.findingsDir, `seed${options.seed}-case${m.index}-${verdict.kind}`);
        mkdirSync(options.findingsDir, { recursive: true });
        if ('bytes' in m) writeFileSync(`${base}.${m.extension}`, m.bytes);
        else writeBundle(base, m.bundle);
      }
    }
  };

  for (let start = first; start < first + options.files; start += batch) {
    const end = Math.min(first + options.files, start + batch);
    const mutants = Array.from({ length: end - start }, (_, k) => mutantFor(corpus, options.seed, start + k));
    const folder = path.join(options.scratch, `batch-${start}`);
    mkdirSync(folder, { recursive: true });

    const images = mutants.filter((m): m is ImageMutant => 'bytes' in m);
    const byName = new Map(images.map((m) => [fileName(m), m]));
    for (const [name, m] of byName) writeFileSync(path.join(folder, name), m.bytes);
    const before = ws.imageCount();
    const imported = await ws.importImages(folder);
    const newIds: number[] = [];
    for (const outcome of imported.files) {
      const m = byName.get(path.basename(outcome.path));
      if (!m) continue;
      byName.delete(path.basename(outcome.path));
      const verdict = imageVerdict(outcome);
      if (outcome.status === 'imported' && outcome.imageId !== undefined) newIds.push(outcome.imageId);
      const detail = verdict.outcome === 'finding' && verdict.kind !== 'hang' ? await redecode(m.bytes) : undefined;
      record(m, verdict, detail);
    }
    for (const m of byName.values())
      record(m, { outcome: 'finding', kind: 'internal', message: 'the import report does not list this file' });
    for (const size of ws.sizes(newIds)) {
      if (size.rows * size.columns <= MAX_FRAME_PIXELS && size.rows <= MAX_DIMENSION && size.columns <= MAX_DIMENSION)
        continue;
      const m = images.find((i) =>
        imported.files.some((f) => f.imageId === size.id && path.basename(f.path) === fileName(i)),
      );
      if (m)
        record(m, {
          outcome: 'finding',
          kind: 'memory',
          message: `imported at ${size.columns}×${size.rows}, beyond the pixel limit`,
        });
    }
    const added = ws.imageCount() - before;
    if (added !== newIds.length)
      throw new Error(
        `batch at case ${start}: ${added} image rows were added but the report lists ${newIds.length} imported`,
      );

    let snapshot = ws.snapshot();
    for (const m of mutants) {
      if (!('bundle' in m)) continue;
      const target = writeBundle(path.join(folder, `labels-${m.index}`), m.bundle);
      const request = { format: m.format, path: target, taskName: `fuzz ${m.format} ${m.index % 2}` };
      const logged = ws.log.lines.length;
      const reply = await withTimeLimit(ws.call('labels.import', request), LABEL_TIME_LIMIT_MS);
      if (reply === 'timeout') {
        record(m, {
          outcome: 'finding',
          kind: 'hang',
          message: `labels.import ran past ${LABEL_TIME_LIMIT_MS / 1000} s`,
        });
        snapshot = ws.snapshot();
        continue;
      }
      const input = [...m.bundle.files.values()].map((bytes) => Buffer.from(bytes).toString('utf8')).join('\n');
      const verdict = labelVerdict(reply, input);
      const after = ws.snapshot();
      if (!reply.ok && after !== snapshot)
        record(m, {
          outcome: 'finding',
          kind: 'workspace-changed',
          message: `refused (${reply.message}) but the workspace changed`,
        });
      else record(m, verdict, verdict.outcome === 'finding' ? ws.log.lines.slice(logged).join(' | ') : undefined);
      snapshot = after;
    }
    rmSync(folder, { recursive: true, force: true });

    const rss = process.memoryUsage().rss;
    report.peakRssBytes = Math.max(report.peakRssBytes, rss);
    if (rss > MEMORY_BOUND_BYTES)
      record(mutants[mutants.length - 1]!, {
        outcome: 'finding',
        kind: 'memory',
        message: `the process held ${Math.round(rss / 1024 ** 2)} MiB after the batch ending here`,
      });
    options.onBatch?.(end - first, options.files);
  }
  report.seconds = (Date.now() - started) / 1000;
  return report;
}
