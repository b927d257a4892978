/**
 * Files that finish out of order are still listed in path order. A disk that fills during import
 * stops it with one named reason and a complete report. The faults are real: a thumbnail write
 * that meets ENOSPC (a write to /dev/full, turned into the failure the decode worker reports), and
 * SQLite's own SQLITE_FULL when the database may not grow (`max_page_count`). The pool stands in
 * for the decode workers so no build is needed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ImageInfo } from '../../../contract/index';
import { DISK_FULL_MESSAGE, namedFailure } from '../../../ml/decode/errors';
import { openImage } from '../../../ml/decode/index';
import { Workspace } from '../workspace/workspace';
import type { DecodePool, InspectResult } from './decode-pool';
import { ImageStore } from './image-store';
import { runImport } from './import-job';

/** Files in the folder imported: more than the lanes in flight, so "stopped" is visible. */
const FILES = 20;
/** Workers of the stand-in pool; the job runs twice as many lanes. */
const POOL_WIDTH = 2;

let info: ImageInfo;
let tmp: string;
let folder: string;
let workspace: Workspace;

beforeAll(async () => {
  const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } })
    .png()
    .toBuffer();
  info = (await openImage(png)).info;
});

beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'loupe-import-full-'));
  folder = path.join(tmp, 'scans');
  mkdirSync(folder);
  for (let i = 0; i < FILES; i++)
    writeFileSync(path.join(folder, `scan-${String(i).padStart(2, '0')}.png`), `scan ${i}`);
  workspace = Workspace.open(path.join(tmp, 'ws'), { create: true });
});

afterEach(() => {
  workspace.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** A write that meets a full disk, as the worker's thumbnail write would, reported the way the worker reports it. */
async function thumbnailOnFullDisk(): Promise<never> {
  try {
    await writeFile('/dev/full', 'thumbnail');
  } catch (error) {
    throw namedFailure(error) ?? error;
  }
  throw new Error('/dev/full accepted a write');
}

function pool(inspect: (index: number) => Promise<void>): { pool: DecodePool; tried: () => number } {
  let calls = 0;
  const fake = {
    concurrency: POOL_WIDTH,
    async inspect(file: string, _root: string, knownAs: (sha: string) => string | null): Promise<InspectResult> {
      const index = calls++;
      const sha256 = createHash('sha256').update(file).digest('hex');
      const of = knownAs(sha256);
      if (of !== null) return { kind: 'duplicate', sha256, size: 1, of };
      await inspect(index);
      return { kind: 'new', sha256, size: 1, info };
    },
  };
  return { pool: fake as unknown as DecodePool, tried: () => calls };
}

function run(fake: DecodePool) {
  return runImport({
    paths: [folder],
    workspace,
    store: new ImageStore(workspace.db),
    pool: fake,
    signal: new AbortController().signal,
    progress: () => {},
  });
}

describe.runIf(existsSync('/dev/full'))('an import on a disk that fills up', () => {
  it('stops at the first thumbnail that cannot be written, with one reason and every file in the report', async () => {
    const IMPORTED_BEFORE_FULL = 5;
    const { pool: fake, tried } = pool((index) =>
      index < IMPORTED_BEFORE_FULL ? Promise.resolve() : thumbnailOnFullDisk(),
    );
    const report = await run(fake);
    expect(report.stopped).toEqual({ failure: 'disk-full', message: DISK_FULL_MESSAGE });
    expect(report.files).toHaveLength(FILES);
    expect(report).toMatchObject({
      imported: IMPORTED_BEFORE_FULL,
      duplicates: 0,
      failed: FILES - IMPORTED_BEFORE_FULL,
      cancelled: false,
    });
    const failed = report.files.filter((f) => f.status === 'failed');
    expect(failed.every((f) => f.failure === 'disk-full' && f.message?.endsWith(DISK_FULL_MESSAGE))).toBe(true);
    expect(failed.filter((f) => f.message!.startsWith('Not tried')).length).toBeGreaterThan(0);
    // Only the files already in flight when the disk filled were tried after it.
    expect(tried()).toBeLessThanOrEqual(IMPORTED_BEFORE_FULL + 2 * POOL_WIDTH);
    expect(new ImageStore(workspace.db).count()).toBe(IMPORTED_BEFORE_FULL);
  });

  it('stops when SQLite cannot grow the database, with the same reason and nothing half-written', async () => {
    const pages = workspace.db.pragma('page_count', { simple: true }) as number;
    workspace.db.pragma(`max_page_count = ${pages}`);
    const { pool: fake } = pool(() => Promise.resolve());
    const report = await run(fake);
    expect(report.stopped).toEqual({ failure: 'disk-full', message: DISK_FULL_MESSAGE });
    expect(report).toMatchObject({ imported: 0, failed: FILES, cancelled: false });
    expect(report.files.map((f) => f.failure)).toEqual(Array(FILES).fill('disk-full'));
    expect(new ImageStore(workspace.db).count()).toBe(0);
  });
});

describe('an import whose files finish out of order', () => {
  it('gives the new images ids in path order, across several commits', async () => {
    const MANY = 150;
    for (let i = FILES; i < MANY; i++)
      writeFileSync(path.join(folder, `scan-${String(i).padStart(3, '0')}.png`), `scan ${i}`);
    // The first file is the slowest (more than a commit's worth finish behind it); the rest scrambled.
    const { pool: fake } = pool(
      (index) => new Promise((done) => setTimeout(done, index === 0 ? 200 : (index * 7) % 11)),
    );
    const report = await run(fake);
    expect(report).toMatchObject({ imported: MANY, failed: 0, cancelled: false });
    const listed = new ImageStore(workspace.db).list(0, MANY).map((image) => image.path);
    expect(listed).toEqual([...listed].sort());
    expect(listed).toHaveLength(MANY);
  });
});
