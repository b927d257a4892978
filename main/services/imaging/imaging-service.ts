/**
 * The imaging service: import into the open workspace, list and describe images, decode frames
 * and thumbnails for the viewer, relink moved files, and (browser mode) keep dropped files.
 * Decoding always happens in the decode pool's workers.
 */
import { createHash } from 'node:crypto';
import { promises as fs, mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  LoupeError,
  type FramePixels,
  type ImageInfo,
  type ImageRecord,
  type ImportProgress,
  type ImportReport,
} from '../../../contract/index';
import { DecodeError } from '../../../ml/decode/errors';
import { thumbnailPath } from '../../../ml/decode/thumbnail';
import { framePixels } from './frame-pixels';
import { writeFileAtomic } from '../../../base/atomic-write';
import type { WorkspaceService } from '../workspace/workspace-service';
import type { DecodePool } from './decode-pool';
import { listImportFiles } from './file-walk';
import { ImageStore } from './image-store';
import { runImport } from './import-job';
import { loupeOwnPaths, SOURCES_FOLDER } from './workspace-files';

export class ImagingService {
  constructor(
    private readonly workspaces: WorkspaceService,
    readonly pool: DecodePool,
  ) {}

  private store(): { store: ImageStore; root: string } {
    const workspace = this.workspaces.require();
    return { store: new ImageStore(workspace.db), root: workspace.root };
  }

  import(paths: readonly string[], signal: AbortSignal, progress: (p: ImportProgress) => void): Promise<ImportReport> {
    const workspace = this.workspaces.require();
    return runImport({ paths, workspace, store: new ImageStore(workspace.db), pool: this.pool, signal, progress });
  }

  list(offset: number, limit: number): { total: number; items: ImageRecord[] } {
    const { store } = this.store();
    return { total: store.count(), items: store.list(offset, limit) };
  }

  get(id: number): { record: ImageRecord; info: ImageInfo } {
    const found = this.store().store.get(id);
    if (!found) throw new LoupeError('NOT_FOUND', `There is no image ${id} in this workspace.`);
    return found;
  }

  async frame(id: number, frame: number): Promise<FramePixels> {
    const { record, info } = this.get(id);
    if (frame >= info.frames)
      throw new LoupeError(
        'NOT_FOUND',
        `Image ${record.fileName} has ${info.frames} frame${info.frames === 1 ? '' : 's'} (indices 0 to ${info.frames - 1}); there is no frame index ${frame}.`,
      );
    try {
      const decoded = await this.pool.frame(record.path, frame);
      if (record.missing) this.store().store.setMissing(id, false);
      return framePixels(id, frame, decoded, info);
    } catch (error) {
      throw this.asLoupeError(error, record);
    }
  }

  async thumbnails(
    ids: readonly number[],
  ): Promise<{ id: number; bytes: Uint8Array<ArrayBuffer> | null; mime: string }[]> {
    const { store, root } = this.store();
    return Promise.all(
      ids.map(async (id) => {
        const found = store.get(id);
        if (!found) return { id, bytes: null, mime: 'image/webp' };
        const file = thumbnailPath(root, found.record.sha256);
        let bytes = await fs.readFile(file).catch(() => null);
        if (!bytes) {
          // Made at import; rebuilt here if the cache was cleared or the import predates it.
          await this.pool.thumbnail(found.record.path, root, found.record.sha256).catch(() => undefined);
          bytes = await fs.readFile(file).catch(() => null);
        }
        return { id, bytes: bytes ? new Uint8Array(bytes) : null, mime: 'image/webp' };
      }),
    );
  }

  /** Walks `folder`, hashes every file, and points images whose file is gone at a file with the same content. */
  async relink(
    folder: string,
    signal: AbortSignal,
    progress: (p: { done: number; total: number }) => void,
  ): Promise<{ scanned: number; relinked: number; stillMissing: number }> {
    const { store, root } = this.store();
    // A mistyped folder must say so, not report "0 relinked (0 files checked)" as if it had looked.
    const stat = await fs.stat(folder).catch(() => null);
    if (!stat?.isDirectory()) throw new LoupeError('NOT_FOUND', `There is no folder at ${folder}.`);
    const missing = new Map<string, number[]>();
    for (const image of store.locations()) {
      const exists = await fs.access(image.path).then(
        () => true,
        () => false,
      );
      store.setMissing(image.id, !exists);
      if (!exists) missing.set(image.sha256, [...(missing.get(image.sha256) ?? []), image.id]);
    }
    if (missing.size === 0) return { scanned: 0, relinked: 0, stillMissing: 0 };
    const files = await listImportFiles([folder], { exclude: loupeOwnPaths(root), workspace: root, signal });
    let done = 0;
    let relinked = 0;
    for (const file of files) {
      if (signal.aborted || missing.size === 0) break;
      const hashed = await this.pool.hash(file).catch(() => null);
      const ids = hashed ? missing.get(hashed.sha256) : undefined;
      if (ids) {
        for (const id of ids) store.relink(id, file);
        relinked += ids.length;
        missing.delete(hashed!.sha256);
      }
      progress({ done: ++done, total: files.length });
    }
    let stillMissing = 0;
    for (const ids of missing.values()) stillMissing += ids.length;
    return { scanned: done, relinked, stillMissing };
  }

  /** Keeps a dropped file's bytes in the workspace (sources/<sha256>.<ext>) and returns where. */
  async upload(name: string, bytes: Uint8Array): Promise<{ path: string }> {
    const { root } = this.store();
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    // Only a short, plain extension of the user's file name is kept; nothing else of it reaches the path.
    const extension = /\.([A-Za-z0-9]{1,8})$/.exec(name)?.[1]?.toLowerCase();
    const folder = path.join(root, SOURCES_FOLDER);
    mkdirSync(folder, { recursive: true });
    const target = path.join(folder, extension ? `${sha256}.${extension}` : sha256);
    const exists = await fs.access(target).then(
      () => true,
      () => false,
    );
    if (!exists) await writeFileAtomic(target, bytes);
    return { path: target };
  }

  /** Sub-folders of a folder, for picking one in browser mode. Files are never listed. */
  async browse(
    folder: string,
  ): Promise<{ path: string; parent: string | null; folders: { name: string; path: string }[] }> {
    const resolved = path.resolve(folder);
    let entries;
    try {
      entries = await fs.readdir(resolved, { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new LoupeError(
        code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR',
        code === 'ENOENT' ? `There is no folder at ${resolved}.` : `Loupe cannot list ${resolved} (${code}).`,
      );
    }
    const folders = entries
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => ({ name: e.name, path: path.join(resolved, e.name) }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const parent = path.dirname(resolved);
    return { path: resolved, parent: parent === resolved ? null : parent, folders };
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private asLoupeError(error: unknown, record: ImageRecord): unknown {
    if (!(error instanceof DecodeError)) return error;
    if (error.failure === 'unreadable') {
      this.store().store.setMissing(record.id, true);
      return new LoupeError(
        'NOT_FOUND',
        `${record.fileName} is no longer at ${record.path}. If its folder moved, relink it.`,
      );
    }
    return new LoupeError('BAD_IMAGE', error.message);
  }
}
