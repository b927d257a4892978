import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { FramePixels, ImageInfo, ImageRecord, WindowSetting } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';
import { defaultWindow } from '../viewer/render';

/**
 * The image open in the viewer: its record and metadata, the frame's stored pixels (typed array,
 * as decoded), and the current window. Changing the window never calls the services.
 */
export const useViewerStore = defineStore('viewer', () => {
  const record = ref<ImageRecord | null>(null);
  const info = ref<ImageInfo | null>(null);
  const pixels = shallowRef<FramePixels | null>(null);
  const frame = ref(0);
  const window = ref<WindowSetting>({ center: 0, width: 1 });
  const loading = ref(false);
  const error = ref<string | null>(null);
  let generation = 0;

  const frames = computed(() => info.value?.frames ?? 1);

  async function open(id: number): Promise<void> {
    const mine = ++generation;
    error.value = null;
    loading.value = true;
    try {
      const got = await loupe().invoke('imaging.get', { id });
      if (mine !== generation) return;
      record.value = got.record;
      info.value = got.info;
      pixels.value = null;
      await showFrame(Math.floor((got.info.frames - 1) / 2), true);
    } catch (e) {
      if (mine === generation) error.value = messageOf(e);
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  async function showFrame(index: number, resetWindow = false): Promise<void> {
    if (!record.value) return;
    const mine = ++generation;
    const target = Math.max(0, Math.min(frames.value - 1, index));
    frame.value = target;
    try {
      const got = await loupe().invoke('imaging.frame', { id: record.value.id, frame: target });
      if (mine !== generation) return;
      // The first frame sets the window; later frames keep the user's.
      if (resetWindow || !pixels.value) window.value = defaultWindow(got);
      pixels.value = got;
      error.value = null;
    } catch (e) {
      if (mine === generation) error.value = messageOf(e);
    }
  }

  function setWindow(next: WindowSetting): void {
    window.value = { center: next.center, width: Math.max(1, next.width) };
  }

  function resetWindow(): void {
    if (pixels.value) window.value = defaultWindow(pixels.value);
  }

  function close(): void {
    generation++;
    record.value = null;
    info.value = null;
    pixels.value = null;
    error.value = null;
  }

  return { record, info, pixels, frame, frames, window, loading, error, open, showFrame, setWindow, resetWindow, close };
});
