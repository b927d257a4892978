import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { FramePixels, ImageInfo, ImageRecord, ReplyOf, WindowSetting } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';
import { defaultWindow } from '../viewer/render';

/** Images kept fetched ahead. */
const PREFETCHED_IMAGES = 2;

/** A file a batch job predicted that the workspace does not hold: opened by its path through the job. */
export interface BatchFileSource {
  jobId: string;
  path: string;
  fileName: string;
  /** Stands in for an image id in its frames (below 0, never a workspace image's), so overlays can tell files apart. */
  id: number;
}

/**
 * The image open in the viewer: its record (a workspace image) or batch file, its metadata, the
 * frame's stored pixels (typed array, as decoded), and the current window. Changing the window
 * never calls the services.
 */
export const useViewerStore = defineStore('viewer', () => {
  const record = ref<ImageRecord | null>(null);
  const file = ref<BatchFileSource | null>(null);
  let nextFileId = -1;
  const info = ref<ImageInfo | null>(null);
  const pixels = shallowRef<FramePixels | null>(null);
  const frame = ref(0);
  const window = ref<WindowSetting>({ center: 0, width: 1 });
  const loading = ref(false);
  const error = ref<string | null>(null);
  let generation = 0;
  /** Images fetched ahead of being shown (the Review queue's next image), by id. */
  const ahead = new Map<number, Promise<{ got: ReplyOf<'imaging.get'>; first: FramePixels }>>();

  const fetchImage = async (id: number) => {
    const got = await loupe().invoke('imaging.get', { id });
    const first = await loupe().invoke('imaging.frame', { id, frame: Math.floor((got.info.frames - 1) / 2) });
    return { got, first };
  };

  /** Fetches an image's record and first shown frame now, so opening it later needs no round trip. */
  function prefetch(id: number): void {
    if (ahead.has(id) || record.value?.id === id) return;
    // One image ahead is what the Review queue asks for; older prefetches are dropped.
    while (ahead.size >= PREFETCHED_IMAGES) ahead.delete(ahead.keys().next().value!);
    const pending = fetchImage(id);
    pending.catch(() => ahead.delete(id));
    ahead.set(id, pending);
  }

  const frames = computed(() => info.value?.frames ?? 1);

  /** Opens a file a batch job predicted, at frame `at`; `file.id`, which its frames carry, is set at once. */
  async function openFile(jobId: string, path: string, at = 0): Promise<void> {
    const mine = ++generation;
    const id = nextFileId--;
    error.value = null;
    loading.value = true;
    record.value = null;
    pixels.value = null;
    file.value = { jobId, path, fileName: path.split(/[\\/]/).pop() ?? path, id };
    try {
      const got = await loupe().invoke('batch.file', { jobId, path });
      if (mine !== generation) return;
      file.value = { ...file.value, fileName: got.fileName };
      info.value = got.info;
      await showFrame(at, true);
    } catch (e) {
      if (mine === generation) error.value = messageOf(e);
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  /** Opens a workspace image at frame `at` (default: its middle frame, as the grid shows it). */
  async function open(id: number, at?: number): Promise<void> {
    const mine = ++generation;
    file.value = null;
    error.value = null;
    loading.value = true;
    try {
      const early = ahead.get(id);
      ahead.delete(id);
      const fetched = early ? await early.catch(() => null) : null;
      if (fetched) {
        if (mine !== generation) return;
        record.value = fetched.got.record;
        info.value = fetched.got.info;
        frame.value = fetched.first.frame;
        window.value = defaultWindow(fetched.first);
        pixels.value = fetched.first;
        if (at !== undefined && at !== fetched.first.frame) await showFrame(at);
        return;
      }
      const got = await loupe().invoke('imaging.get', { id });
      if (mine !== generation) return;
      record.value = got.record;
      info.value = got.info;
      pixels.value = null;
      await showFrame(at ?? Math.floor((got.info.frames - 1) / 2), true);
    } catch (e) {
      if (mine === generation) error.value = messageOf(e);
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  async function showFrame(index: number, resetWindow = false): Promise<void> {
    const source = file.value;
    if (!record.value && !source) return;
    const mine = ++generation;
    const target = Math.max(0, Math.min(frames.value - 1, index));
    frame.value = target;
    try {
      const got = source
        ? {
            ...(await loupe().invoke('batch.frame', { jobId: source.jobId, path: source.path, frame: target })),
            id: source.id,
          }
        : await loupe().invoke('imaging.frame', { id: record.value!.id, frame: target });
      if (mine !== generation) return;
      // The first frame sets the window; later frames keep the user's.
      if (resetWindow || !pixels.value) window.value = defaultWindow(got);
      pixels.value = got;
      error.value = null;
    } catch (e) {
      if (mine === generation) error.value = messageOf(e);
    }
  }

  /** A window by centre/width, or one of the file's VOI LUTs (kept with its table and name). */
  function setWindow(next: WindowSetting): void {
    window.value = next.lut
      ? { ...next, width: Math.max(1, next.width) }
      : { center: next.center, width: Math.max(1, next.width) };
  }

  function resetWindow(): void {
    if (pixels.value) window.value = defaultWindow(pixels.value);
  }

  function close(): void {
    generation++;
    record.value = null;
    file.value = null;
    info.value = null;
    pixels.value = null;
    error.value = null;
  }

  return {
    record,
    file,
    info,
    pixels,
    frame,
    frames,
    window,
    loading,
    error,
    open,
    openFile,
    prefetch,
    showFrame,
    setWindow,
    resetWindow,
    close,
  };
});
