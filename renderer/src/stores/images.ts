import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { MAX_LIST_LIMIT, MAX_THUMBNAILS_PER_CALL, type ImageRecord, type ImportProgress, type ImportReport } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';

/** Thumbnail object URLs kept at once; older ones are revoked (10,000 tiles never all live). */
const THUMBNAIL_CACHE_SIZE = 1500;

/**
 * The workspace's images and imports: the list for the grid, a running import with its progress
 * and cancel, the last import report, and a cache of thumbnail object URLs loaded on demand.
 */
export const useImagesStore = defineStore('images', () => {
  const images = shallowRef<ImageRecord[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const progress = ref<ImportProgress | null>(null);
  const report = ref<ImportReport | null>(null);
  const importing = ref(false);
  const thumbnails = ref(new Map<number, string>());
  let importId: string | null = null;
  const wanted = new Set<number>();
  let flushQueued = false;

  async function refresh(): Promise<void> {
    loading.value = true;
    try {
      const all: ImageRecord[] = [];
      for (let offset = 0; ; offset += MAX_LIST_LIMIT) {
        const page = await loupe().invoke('imaging.list', { offset, limit: MAX_LIST_LIMIT });
        all.push(...page.items);
        if (all.length >= page.total || page.items.length === 0) break;
      }
      images.value = all;
    } catch (e) {
      images.value = [];
      error.value = messageOf(e);
    } finally {
      loading.value = false;
    }
  }

  async function importPaths(paths: string[]): Promise<ImportReport | null> {
    if (importing.value || paths.length === 0) return null;
    importing.value = true;
    error.value = null;
    report.value = null;
    progress.value = { phase: 'scanning', done: 0, total: 0, imported: 0, duplicates: 0, failed: 0 };
    importId = crypto.randomUUID();
    try {
      const result = await loupe().invoke('imaging.import', { paths }, { requestId: importId, onProgress: (p) => (progress.value = p) });
      report.value = result;
      return result;
    } catch (e) {
      error.value = messageOf(e);
      return null;
    } finally {
      importing.value = false;
      importId = null;
      await refresh();
    }
  }

  function cancelImport(): void {
    if (importId) loupe().cancel(importId);
  }

  /** Browser mode: the bytes of dropped files are kept in the workspace, then imported from there. */
  async function importDropped(files: readonly File[]): Promise<ImportReport | null> {
    const paths: string[] = [];
    for (const file of files) {
      try {
        const { path } = await loupe().invoke('imaging.upload', { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) });
        paths.push(path);
      } catch (e) {
        error.value = `${file.name}: ${messageOf(e)}`;
      }
    }
    return importPaths(paths);
  }

  /** Asks for thumbnails of these images (those on screen); they arrive in `thumbnails`. */
  function requestThumbnails(ids: readonly number[]): void {
    for (const id of ids) if (!thumbnails.value.has(id)) wanted.add(id);
    if (flushQueued || wanted.size === 0) return;
    flushQueued = true;
    queueMicrotask(() => void flushThumbnails());
  }

  async function flushThumbnails(): Promise<void> {
    flushQueued = false;
    const ids = [...wanted].slice(0, MAX_THUMBNAILS_PER_CALL);
    for (const id of ids) wanted.delete(id);
    if (ids.length === 0) return;
    try {
      const { thumbnails: got } = await loupe().invoke('imaging.thumbnails', { ids });
      const next = new Map(thumbnails.value);
      for (const t of got) if (t.bytes) next.set(t.id, URL.createObjectURL(new Blob([t.bytes as Uint8Array<ArrayBuffer>], { type: t.mime })));
      while (next.size > THUMBNAIL_CACHE_SIZE) {
        const [oldest, url] = next.entries().next().value as [number, string];
        URL.revokeObjectURL(url);
        next.delete(oldest);
      }
      thumbnails.value = next;
    } catch (e) {
      error.value = messageOf(e);
    }
    if (wanted.size > 0) requestThumbnails([]);
  }

  async function relink(folder: string): Promise<string> {
    try {
      const result = await loupe().invoke('imaging.relink', { folder });
      await refresh();
      if (result.relinked === 0 && result.stillMissing === 0) return 'No image of this workspace is missing: nothing to relink.';
      return `${result.relinked} image${result.relinked === 1 ? '' : 's'} relinked; ${result.stillMissing} still missing (${result.scanned} files checked).`;
    } catch (e) {
      return messageOf(e);
    }
  }

  function dehydrate(): void {
    for (const url of thumbnails.value.values()) URL.revokeObjectURL(url);
    thumbnails.value = new Map();
    images.value = [];
    report.value = null;
  }

  return { images, loading, error, progress, report, importing, thumbnails, refresh, importPaths, cancelImport, importDropped, requestThumbnails, relink, dehydrate };
});
