import { defineStore } from 'pinia';
import { ref } from 'vue';
import { isLoupeError } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';
import { useImagesStore } from './images';

/**
 * Removing an image from the workspace, asked twice: once always (there is no undo), and again
 * when a completed run trained on it (the service refuses with the runs' names).
 */
export const useImageRemovalStore = defineStore('image-removal', () => {
  const asking = ref<number | null>(null);
  /** The service refused because runs used the image: the message, shown with "Remove anyway". */
  const usedByRuns = ref<string | null>(null);
  const error = ref<string | null>(null);
  const busy = ref(false);

  function ask(imageId: number): void {
    asking.value = imageId;
    usedByRuns.value = null;
    error.value = null;
  }

  function cancel(): void {
    asking.value = null;
    usedByRuns.value = null;
  }

  /** True once removed. */
  async function confirm(): Promise<boolean> {
    const imageId = asking.value;
    if (imageId === null || busy.value) return false;
    busy.value = true;
    try {
      await loupe().invoke('imaging.remove', { imageIds: [imageId], evenIfTrained: usedByRuns.value !== null });
      cancel();
      await useImagesStore().refresh();
      return true;
    } catch (e) {
      if (isLoupeError(e) && e.code === 'CONFLICT' && usedByRuns.value === null && /trained on/.test(e.message))
        usedByRuns.value = e.message;
      else error.value = messageOf(e);
      return false;
    } finally {
      busy.value = false;
    }
  }

  return { asking, usedByRuns, error, busy, ask, cancel, confirm };
});
