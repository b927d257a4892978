import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import {
  MAX_LIST_LIMIT,
  MAX_THUMBNAILS_PER_CALL,
  type ImageRecord,
  type ImportProgress,
  type ImportReport,
} from '../../../contract/index';
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
  /** The tiles on screen now whose thumbnails are not cached: the next call asks for these. */
  let wanted: number[] = [];
  /** One thumbnails call at a time, so a fast scroll does not queue calls for tiles already gone. */
  let inFlight = false;
  /** Bumped when the workspace closes: a thumbnail reply from the old one must not land in the new one's cache. */
  let generation = 0;

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
    progress.value = { phase: 'scanning', done: 0, total: 0, imported: 0, duplicates: 0, skipped: 0, failed: 0 };
    importId = crypto.randomUUID();
    try {
      const result = await loupe().invoke(
        'imaging.import',
        { paths },
        { requestId: importId, onProgress: (p) => (progress.value = p) },
      );
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
        const { path } = await loupe().invoke('imaging.upload', {
          name: file.name,
          bytes: new Uint8Array(await file.arrayBuffer()),
        });
        paths.push(path);
      } catch (e) {
        error.value = `${file.name}: ${messageOf(e)}`;
      }
    }
    return importPaths(paths);
  }

  /**
   * Shows thumbnails for these images (the tiles on screen now); they arrive in `thumbnails`.
   * Each call replaces the previous one: tiles scrolled past while a call was out are never asked
   * for, so a fling through 10,000 images decodes only what stops on screen.
   */
  function requestThumbnails(ids: readonly number[]): void {
    wanted = ids.filter((id) => !thumbnails.value.has(id));
    if (!inFlight && wanted.length > 0) void loadThumbnails();
  }

  async function loadThumbnails(): Promise<void> {
    inFlight = true;
    try {
      while (wanted.length > 0) {
        const ids = wanted.slice(0, MAX_THUMBNAILS_PER_CALL);
        const askedIn = generation;
        const { thumbnails: got } = await loupe().invoke('imaging.thumbnails', { ids });
        // Another workspace opened meanwhile: drop the reply, go on with what its grid wants.
        if (generation !== askedIn) continue;
        const next = new Map(thumbnails.value);
        for (const t of got)
          if (t.bytes)
            next.set(t.id, URL.createObjectURL(new Blob([t.bytes as Uint8Array<ArrayBuffer>], { type: t.mime })));
        while (next.size > THUMBNAIL_CACHE_SIZE) {
          const [oldest, url] = next.entries().next().value as [number, string];
          URL.revokeObjectURL(url);
          next.delete(oldest);
        }
        thumbnails.value = next;
        // What is on screen may have changed while the call was out; what was asked is done.
        const asked = new Set(ids);
        wanted = wanted.filter((id) => !asked.has(id) && !next.has(id));
      }
    } catch (e) {
      wanted = [];
      error.value = messageOf(e);
    } finally {
      inFlight = false;
    }
  }

  async function relink(folder: string): Promise<string> {
    try {
      const result = await loupe().invoke('imaging.relink', { folder });
      await refresh();
      if (result.relinked === 0 && result.stillMissing === 0)
        return 'No image of this workspace is missing: nothing to relink.';
      return `${result.relinked} image${result.relinked === 1 ? '' : 's'} relinked; ${result.stillMissing} still missing (${result.scanned} files checked).`;
    } catch (e) {
      return messageOf(e);
    }
  }

  function dehydrate(): void {
    generation += 1;
    wanted = [];
    for (const url of thumbnails.value.values()) URL.revokeObjectURL(url);
    thumbnails.value = new Map();
    images.value = [];
    report.value = null;
  }

  return {
    images,
    loading,
    error,
    progress,
    report,
    importing,
    thumbnails,
    refresh,
    importPaths,
    cancelImport,
    importDropped,
    requestThumbnails,
    relink,
    dehydrate,
  };
});
