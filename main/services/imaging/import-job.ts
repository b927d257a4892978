/**
 * One import: expand the paths, hand each file to the decode pool (a few at a time, so cancel
 * stops quickly), skip content already in the workspace, and commit new images in small
 * transactions. Progress streams at most every PROGRESS_INTERVAL_MS; the report lists every file.
 * A full disk (a thumbnail or a commit that cannot be written) stops the import at once: every
 * later file would fail the same way, so the report says it once and lists the rest as not tried.
 */
import path from 'node:path';
import type { ImportOutcome, ImportProgress, ImportReport } from '../../../contract/channels/imaging';
import { DISK_FULL_MESSAGE, DecodeError, diskFullError, isDiskFull } from '../../../ml/decode/errors';
import type { Workspace } from '../workspace/workspace';
import type { DecodePool } from './decode-pool';
import { listImportFiles } from './file-walk';
import type { ImageStore, NewImage } from './image-store';
import { loupeOwnPaths } from './workspace-files';

/** Progress events are at most this frequent: enough for a smooth bar, few enough for 10,000 files. */
const PROGRESS_INTERVAL_MS = 100;
/** New images are committed in groups of this many (one fsync each, synchronous=FULL). */
const COMMIT_BATCH = 64;

export interface ImportJobArgs {
  paths: readonly string[];
  workspace: Workspace;
  store: ImageStore;
  pool: DecodePool;
  signal: AbortSignal;
  progress: (p: ImportProgress) => void;
}

export async function runImport({
  paths,
  workspace,
  store,
  pool,
  signal,
  progress,
}: ImportJobArgs): Promise<ImportReport> {
  const counts = { imported: 0, duplicates: 0, skipped: 0, failed: 0 };
  let lastEmit = 0;
  const emit = (p: ImportProgress, force = false): void => {
    const now = Date.now();
    if (!force && now - lastEmit < PROGRESS_INTERVAL_MS) return;
    lastEmit = now;
    progress(p);
  };
  emit({ phase: 'scanning', done: 0, total: 0, ...counts }, true);
  const files = await listImportFiles(paths, {
    exclude: loupeOwnPaths(workspace.root),
    workspace: workspace.root,
    signal,
    onProgress: (found) => emit({ phase: 'scanning', done: 0, total: found, ...counts }),
  });
  const outcomes: ImportOutcome[] = new Array(files.length);
  /** Hashes claimed in this run: a second copy in the same import is a duplicate of the first. */
  const claimed = new Map<string, string>();
  /**
   * A claimant that then fails to decode imported nothing: its copies seen meanwhile fail with
   * it (the same bytes decode the same way), never "duplicate of" a file that is not there.
   */
  const copiesOf = new Map<string, number[]>();
  const failedWith = new Map<string, ImportOutcome & { status: 'failed' | 'skipped' }>();
  // Files finish out of order (two workers, a slow file beside fast ones); new images are committed
  // in path order all the same, so their ids, and the grids that list by id, follow the folder.
  // `waiting`: new images behind a file still being read; `ready`: those before `head`, the first
  // file without an outcome, in path order.
  const waiting = new Map<number, NewImage>();
  let ready: { index: number; image: NewImage }[] = [];
  const settled = new Uint8Array(files.length);
  let head = 0;
  const importedAt = new Date().toISOString();
  let stopped: DecodeError | null = null;

  /** Commits the ready images (with `all`, the waiting ones too: the import has ended). */
  const commit = (all = false): void => {
    const batch = ready;
    ready = [];
    if (all) {
      for (const [index, image] of [...waiting].sort(([a], [b]) => a - b)) batch.push({ index, image });
      waiting.clear();
    }
    if (batch.length === 0) return;
    let ids: (number | null)[];
    try {
      ids = store.insertMany(
        batch.map((b) => b.image),
        importedAt,
      );
    } catch (error) {
      if (!isDiskFull(error)) throw error;
      stopped ??= diskFullError(error);
      counts.imported -= batch.length;
      counts.failed += batch.length;
      for (const { index, image } of batch)
        outcomes[index] = { path: image.path, status: 'failed', failure: 'disk-full', message: DISK_FULL_MESSAGE };
      return;
    }
    batch.forEach(({ index, image }, i) => {
      const id = ids[i];
      if (id !== null && id !== undefined) outcomes[index] = { path: image.path, status: 'imported', imageId: id };
      else {
        const existing = store.bySha(image.sha256);
        counts.imported -= 1;
        counts.duplicates += 1;
        outcomes[index] = {
          path: image.path,
          status: 'duplicate',
          ...(existing ? { imageId: existing.id } : {}),
          message: 'The same content was imported at the same time by another window.',
        };
      }
    });
  };

  const knownAs = (sha256: string, file: string): string | null => {
    const inRun = claimed.get(sha256);
    if (inRun !== undefined) return inRun;
    const existing = store.bySha(sha256);
    if (existing) return existing.path;
    claimed.set(sha256, file);
    return null;
  };

  let next = 0;
  let done = 0;
  const one = async (index: number): Promise<void> => {
    const file = files[index]!;
    try {
      const result = await pool.inspect(file, workspace.root, (sha) => knownAs(sha, file));
      const claimantFailure = result.kind === 'duplicate' ? failedWith.get(result.of) : undefined;
      if (claimantFailure) {
        counts[claimantFailure.status] += 1;
        outcomes[index] = { ...claimantFailure, path: file };
      } else if (result.kind === 'duplicate') {
        copiesOf.set(result.of, [...(copiesOf.get(result.of) ?? []), index]);
        counts.duplicates += 1;
        const existing = store.bySha(result.sha256);
        outcomes[index] = {
          path: file,
          status: 'duplicate',
          ...(existing ? { imageId: existing.id } : {}),
          message: `Same content as ${path.basename(result.of)}${existing ? ' (already in the workspace)' : ' (earlier in this import)'}.`,
        };
      } else {
        counts.imported += 1;
        waiting.set(index, {
          sha256: result.sha256,
          path: file,
          fileName: path.basename(file),
          fileSize: result.size,
          info: result.info,
        });
      }
    } catch (error) {
      const failure =
        error instanceof DecodeError
          ? error
          : new DecodeError('internal', 'Loupe failed to read this file because of an internal error.');
      if (failure.failure === 'disk-full') stopped ??= failure;
      // A report or DICOMDIR beside the images is expected in an export folder: skipped, not failed.
      const status = failure.failure === 'non-image' ? ('skipped' as const) : ('failed' as const);
      counts[status] += 1;
      const failed = { path: file, status, failure: failure.failure, message: failure.message };
      outcomes[index] = failed;
      failedWith.set(file, failed);
      for (const copy of copiesOf.get(file) ?? []) {
        counts.duplicates -= 1;
        counts[status] += 1;
        outcomes[copy] = { ...failed, path: files[copy]! };
      }
    }
    done += 1;
    settled[index] = 1;
    for (; head < files.length && settled[head]; head++) {
      const image = waiting.get(head);
      if (image === undefined) continue;
      waiting.delete(head);
      ready.push({ index: head, image });
    }
    if (ready.length >= COMMIT_BATCH) commit();
    emit({ phase: 'importing', done, total: files.length, ...counts, current: file });
  };

  // Twice the pool's width keeps every worker busy while one result is being committed.
  const lanes = Array.from({ length: Math.min(files.length, pool.concurrency * 2) }, async () => {
    while (!signal.aborted && !stopped && next < files.length) await one(next++);
  });
  await Promise.all(lanes);
  commit(true);
  if (stopped) {
    for (let index = 0; index < files.length; index++) {
      if (outcomes[index]) continue;
      counts.failed += 1;
      outcomes[index] = {
        path: files[index]!,
        status: 'failed',
        failure: 'disk-full',
        message: `Not tried: ${DISK_FULL_MESSAGE}`,
      };
    }
  }
  emit({ phase: 'importing', done, total: files.length, ...counts }, true);
  const reported = outcomes.filter((o): o is ImportOutcome => o !== undefined);
  const stop = stopped as DecodeError | null;
  return {
    ...counts,
    cancelled: signal.aborted,
    ...(stop ? { stopped: { failure: stop.failure, message: stop.message } } : {}),
    files: reported,
  };
}
