import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { BatchJob, ReplyOf } from '../../../contract/index';
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
/** A detection, segmentation or verification job's prediction on the image shown, and which image that is. */
export type BatchPrediction = ReplyOf<'batch.prediction'> & { imageId: number; frame: number };

/**
 * What lies over an image opened from a batch job's results: a classifier's heatmap (the job's
 * model on that file and frame, a run's or a model folder's, the file in the workspace or not,
 * with the job's method), a detector's boxes or a segmenter's mask as the job predicted them, or a
 * verification model's nearest gallery references. H hides and shows what lies over the image. A
 * reply for an image no longer shown is dropped.
 */
export const useBatchOverlayStore = defineStore('batchOverlay', () => {
  const heatmap = shallowRef<BatchHeatmap | null>(null);
  const prediction = shallowRef<BatchPrediction | null>(null);
  const error = ref<string | null>(null);
  let generation = 0;

  async function show(
    job: Pick<BatchJob, 'jobId' | 'task'>,
    path: string,
    frame: number,
    imageId: number,
  ): Promise<void> {
    const mine = ++generation;
    heatmap.value = null;
    prediction.value = null;
    error.value = null;
    const request = { jobId: job.jobId, path, frame };
    try {
      if (job.task === 'classification') {
        const reply = await loupe().invoke('batch.explain', request);
        if (mine === generation) heatmap.value = { ...reply, imageId, frame };
      } else {
        const reply = await loupe().invoke('batch.prediction', request);
        if (mine === generation) prediction.value = { ...reply, imageId, frame };
      }
    } catch (e) {
      if (mine === generation) error.value = messageOf(e);
    }
  }

  function clear(): void {
    generation++;
    heatmap.value = null;
    prediction.value = null;
    error.value = null;
  }

  return { heatmap, prediction, error, show, clear };
});
