import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { ReplyOf } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';

/** A heatmap as the viewer's overlay draws it: on which image's frame, and its values. */
export interface DrawnHeatmap {
  /** The viewer's id of the image (a workspace image's, or a batch file's stand-in below 0). */
  imageId: number;
  frame: number;
  rows: number;
  columns: number;
  heatmap: Float32Array;
  method: string;
}

export type BatchHeatmap = DrawnHeatmap & ReplyOf<'batch.explain'>;

/**
 * The heatmap over an image opened from a batch job's results: the job's model on that file and
 * frame (a run's or a model folder's, the file in the workspace or not), with the job's method.
 * A reply for an image no longer shown is dropped.
 */
export const useBatchHeatmapStore = defineStore('batchHeatmap', () => {
  const shown = shallowRef<BatchHeatmap | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  let generation = 0;

  async function show(jobId: string, path: string, frame: number, imageId: number): Promise<void> {
    const mine = ++generation;
    shown.value = null;
    error.value = null;
    loading.value = true;
    try {
      const reply = await loupe().invoke('batch.explain', { jobId, path, frame });
      if (mine === generation) shown.value = { ...reply, imageId, frame };
    } catch (e) {
      if (mine === generation) error.value = messageOf(e);
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  function clear(): void {
    generation++;
    shown.value = null;
    error.value = null;
    loading.value = false;
  }

  return { shown, loading, error, show, clear };
});
