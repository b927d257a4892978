/**
 * A batch prediction's output folder and its exactly-once journal.
 *
 * Results files (predictions.csv, predictions.jsonl, …) are only ever appended to. After a group
 * of files is predicted, its rows are written (each results file in one write), the results files
 * are fsynced, and only then one manifest line per file is appended and fsynced. Each manifest
 * line records how long every results file was once that file's rows were in. So after a kill at
 * any moment the last complete manifest line says exactly where every results file must end:
 * resuming cuts each results file there (rows of files not in the manifest and torn lines go),
 * cuts a torn manifest line, and predicts every file not in the manifest. Every file is then in
 * the manifest once, and its rows in the results once.
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { LoupeError } from '../../../contract/index';
import { writeFileAtomic } from '../../../base/atomic-write';
import { refuseUnlikeResults } from './resume-check';

export const BATCH_FILE = 'batch.json';
export const MANIFEST_FILE = 'manifest.jsonl';

/** Who made the results: a folder holds one model's results only. */
export interface ModelIdentity {
  modelId: string;
  weightsSha256: string;
}

/** batch.json: what this folder holds. */
export interface BatchHeader extends ModelIdentity {
  format: 'loupe-batch';
  version: 1;
  task: string;
  classes: string[];
  formats: string[];
  shard: { index: number; count: number } | null;
  /** --threshold, when one replaced the model card's. */
  threshold: number | null;
  /** Verification: matched against the gallery, k nearest kept. */
  gallery?: { k: number } | null;
  /** --explain: a heatmap per frame with this method. */
  explain?: string | null;
  createdAt: string;
  /** Set when a run went through every input file (merge takes complete shards only). */
  complete?: boolean;
}

/** One manifest line: a file finished (predicted, or reported as unreadable). */
export interface ManifestEntry extends ModelIdentity {
  path: string;
  /** Relative to its input folder; shards and merges use it. */
  relative: string;
  size: number | null;
  sha256: string | null;
  frames: number;
  status: 'done' | 'failed';
  reason?: string;
  /** Length of each results file once this file's rows were written. */
  ends: Record<string, number>;
}

function ioError(error: unknown, what: string, folder: string): LoupeError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new LoupeError(
      'IO_ERROR',
      `The disk holding ${folder} is full while ${what}; free some space, then run again with --resume to finish.`,
      { cause: error },
    );
  }
  return new LoupeError('IO_ERROR', `Cannot write ${folder} while ${what}: ${(error as Error).message}`, {
    cause: error,
  });
}

export async function readHeader(folder: string): Promise<BatchHeader | null> {
  const text = await fs.readFile(path.join(folder, BATCH_FILE), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const header = JSON.parse(text) as BatchHeader;
    if (header.format === 'loupe-batch') return header;
  } catch {
    // Reported below as not a batch folder.
  }
  throw new LoupeError('INVALID_REQUEST', `${path.join(folder, BATCH_FILE)} is not a Loupe batch description.`);
}

/** The complete lines of a manifest and the byte length they span (a torn last line is left out). */
export async function readManifest(folder: string): Promise<{ entries: ManifestEntry[]; length: number }> {
  const text = await fs.readFile(path.join(folder, MANIFEST_FILE), 'utf8').catch(() => '');
  const entries: ManifestEntry[] = [];
  let length = 0;
  let start = 0;
  for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
    const line = text.slice(start, end);
    try {
      entries.push(JSON.parse(line) as ManifestEntry);
    } catch {
      break; // Only the last line can be torn (lines are appended whole); stop at it regardless.
    }
    start = end + 1;
    length += Buffer.byteLength(line) + 1;
  }
  return { entries, length };
}

/** Opens (creating or resuming) an output folder; refuses a folder that holds something else. */
export async function openOutput(
  folder: string,
  header: BatchHeader,
  resume: boolean,
  requestedFormats: readonly string[] = [],
): Promise<Journal> {
  const existing = await readHeader(folder);
  if (existing) {
    refuseUnlikeResults(folder, existing, header, resume, requestedFormats);
  } else {
    const entries = await fs.readdir(folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw new LoupeError('INVALID_REQUEST', `Cannot use ${folder} as the output folder: ${error.message}`);
    });
    if (entries.length > 0)
      throw new LoupeError(
        'INVALID_REQUEST',
        `${folder} is not empty and holds no Loupe batch results; choose an empty or new --out folder.`,
      );
    try {
      await fs.mkdir(folder, { recursive: true });
      await writeFileAtomic(path.join(folder, BATCH_FILE), `${JSON.stringify(header, null, 2)}\n`);
    } catch (error) {
      throw ioError(error, 'starting', folder);
    }
  }
  const journal = new Journal(folder, existing ?? header);
  await journal.recover();
  return journal;
}

/** Writes all of `bytes` at the handle's end (a write may take fewer bytes than it is given). */
async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  for (let written = 0; written < bytes.length; )
    written += (await handle.write(bytes, written, bytes.length - written)).bytesWritten;
}

/** A file's finished rows, ready to commit: text per results file, in order. */
export interface Finished {
  entry: Omit<ManifestEntry, 'ends'>;
  rows: Map<string, string>;
}

export class Journal {
  /** Paths only: the entries themselves stay on disk, so memory grows by a path per file. */
  private readonly done = new Set<string>();
  private readonly handles = new Map<string, FileHandle>();
  private ends: Record<string, number> = {};
  private manifest: FileHandle | null = null;

  constructor(
    readonly folder: string,
    readonly header: BatchHeader,
  ) {}

  /** Absolute paths of the files already finished. */
  get finished(): ReadonlySet<string> {
    return this.done;
  }

  /** Cuts the manifest and every results file back to the last complete manifest line. */
  async recover(): Promise<void> {
    const { entries, length } = await readManifest(this.folder);
    for (const entry of entries) this.done.add(entry.path);
    this.ends = { ...(entries.at(-1)?.ends ?? {}) };
    try {
      this.manifest = await fs.open(path.join(this.folder, MANIFEST_FILE), 'a+');
      await this.manifest.truncate(length);
      for (const name of await fs.readdir(this.folder)) {
        if (name === MANIFEST_FILE || name === BATCH_FILE) continue;
        const stat = await fs.stat(path.join(this.folder, name));
        if (stat.isFile() && /\.(csv|jsonl)$/.test(name))
          await fs.truncate(path.join(this.folder, name), this.ends[name] ?? 0);
      }
    } catch (error) {
      throw ioError(error, 'resuming', this.folder);
    }
  }

  /**
   * Appends finished files: their rows first (fsynced), then their manifest lines (fsynced). A
   * results file that is still empty gets `headers[name]` first. Each results file takes one write
   * for all the files, and the journal's own state changes only once all is written and fsynced.
   */
  async commit(finished: readonly Finished[], headers: ReadonlyMap<string, string>): Promise<void> {
    if (finished.length === 0) return;
    const ends = { ...this.ends };
    const text = new Map<string, string[]>();
    const lines: string[] = [];
    for (const { entry, rows } of finished) {
      for (const [name, rowText] of rows) {
        if (rowText === '') continue;
        const chunk = (ends[name] ?? 0) === 0 ? (headers.get(name) ?? '') + rowText : rowText;
        const chunks = text.get(name) ?? [];
        chunks.push(chunk);
        text.set(name, chunks);
        ends[name] = (ends[name] ?? 0) + Buffer.byteLength(chunk);
      }
      lines.push(`${JSON.stringify({ ...entry, ends: { ...ends } } satisfies ManifestEntry)}\n`);
    }
    try {
      const touched: FileHandle[] = [];
      for (const [name, chunks] of text) {
        const handle = await this.handle(name);
        await writeAll(handle, Buffer.from(chunks.join('')));
        touched.push(handle);
      }
      await Promise.all(touched.map((h) => h.sync()));
      await writeAll(this.manifest!, Buffer.from(lines.join('')));
      await this.manifest!.sync();
    } catch (error) {
      throw ioError(error, 'writing results', this.folder);
    }
    this.ends = ends;
    for (const { entry } of finished) this.done.add(entry.path);
  }

  /** Writes a whole side file (a mask, a YOLO label file) before its file is committed. */
  async writeSideFile(relative: string, data: Uint8Array | string): Promise<void> {
    const target = path.join(this.folder, relative);
    try {
      await fs.mkdir(path.dirname(target), { recursive: true });
      await writeFileAtomic(target, data);
    } catch (error) {
      throw ioError(error, 'writing results', this.folder);
    }
  }

  private async handle(name: string): Promise<FileHandle> {
    let handle = this.handles.get(name);
    if (!handle) {
      handle = await fs.open(path.join(this.folder, name), 'a');
      this.handles.set(name, handle);
    }
    return handle;
  }

  /** Records that every input file is finished. */
  async markComplete(): Promise<void> {
    try {
      await writeFileAtomic(
        path.join(this.folder, BATCH_FILE),
        `${JSON.stringify({ ...this.header, complete: true }, null, 2)}\n`,
      );
    } catch (error) {
      throw ioError(error, 'finishing', this.folder);
    }
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.handles.values(), ...(this.manifest ? [this.manifest] : [])].map((h) => h.close().catch(() => {})),
    );
    this.handles.clear();
    this.manifest = null;
  }
}
