import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { GalleryLabelSource, GalleryView, PairComparison, ReplyOf } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';

/** Matches a gallery query asks for unless the user asks for more. */
export const DEFAULT_QUERY_MATCHES = 5;

/**
 * A completed verification run's model used on workspace images, for the run's "Compare a pair"
 * and "Gallery" tabs: two images scored and decided (at the model's threshold or one the user
 * tries), and the run's gallery — its references listed, images or a folder's files enrolled
 * (with progress and cancel), references removed, and an image queried against it.
 */
export const useModelUseStore = defineStore('modelUse', () => {
  const runId = ref<string | null>(null);
  const imageA = ref<number | null>(null);
  const imageB = ref<number | null>(null);
  /** A decision threshold to try instead of the model's; null: the model's. */
  const threshold = ref<number | null>(null);
  const comparison = ref<PairComparison | null>(null);
  const gallery = ref<GalleryView | null>(null);
  const enrolling = ref<{ done: number; total: number } | null>(null);
  /** Files the last enrolment of files could not enrol, with why. */
  const enrolFailures = ref<{ path: string; reason: string }[]>([]);
  const queried = ref<ReplyOf<'models.query'> | null>(null);
  const busy = ref(false);
  const error = ref<string | null>(null);
  let enrolRequest: string | null = null;

  /** Shows a run: what was shown for another run (its pair, gallery, query) is dropped. */
  function show(id: string): void {
    if (runId.value === id) return;
    runId.value = id;
    imageA.value = imageB.value = threshold.value = null;
    comparison.value = null;
    gallery.value = null;
    queried.value = null;
    enrolFailures.value = [];
    error.value = null;
  }

  async function attempt<T>(work: (run: string) => Promise<T>): Promise<T | null> {
    const run = runId.value;
    if (run === null) return null;
    busy.value = true;
    error.value = null;
    try {
      const result = await work(run);
      // A reply for a run no longer shown is dropped.
      return run === runId.value ? result : null;
    } catch (e) {
      if (run === runId.value) error.value = messageOf(e);
      return null;
    } finally {
      busy.value = false;
    }
  }

  function pick(slot: 'a' | 'b', imageId: number): void {
    if (slot === 'a') imageA.value = imageId;
    else imageB.value = imageId;
    comparison.value = null;
  }

  async function compare(): Promise<PairComparison | null> {
    const [a, b] = [imageA.value, imageB.value];
    if (a === null || b === null) return null;
    const t = threshold.value;
    const reply = await attempt((run) =>
      loupe().invoke('models.comparePair', {
        runId: run,
        imageA: a,
        imageB: b,
        ...(t === null ? {} : { threshold: t }),
      }),
    );
    if (reply) comparison.value = reply;
    return reply;
  }

  async function loadGallery(): Promise<void> {
    const reply = await attempt((run) => loupe().invoke('models.gallery', { runId: run }));
    if (reply) gallery.value = reply;
  }

  /** One enrolment at a time, cancellable, its progress in `enrolling`; null where it failed (the error is shown). */
  async function enrolment<T>(
    total: number,
    call: (
      run: string,
      options: { requestId: string; onProgress: (p: { done: number; total: number }) => void },
    ) => Promise<T>,
  ): Promise<T | null> {
    if (enrolling.value) return null;
    enrolRequest = crypto.randomUUID();
    const requestId = enrolRequest;
    enrolling.value = { done: 0, total };
    try {
      return await attempt((run) => call(run, { requestId, onProgress: (p) => (enrolling.value = p) }));
    } finally {
      enrolling.value = null;
      enrolRequest = null;
    }
  }

  /** Enrols images as references, named `label` when given (else each by its file name). */
  async function enrol(imageIds: readonly number[], label?: string): Promise<boolean> {
    if (imageIds.length === 0) return false;
    const references = imageIds.map((imageId) => (label?.trim() ? { imageId, label: label.trim() } : { imageId }));
    const reply = await enrolment(imageIds.length, (run, options) =>
      loupe().invoke('models.enrol', { runId: run, references }, options),
    );
    if (reply) gallery.value = reply;
    return reply !== null;
  }

  /**
   * Enrols every image file under `paths` (a folder of reference images, a folder per identity),
   * labelled by each file's folder or file name; the files that could not be enrolled are kept in
   * `enrolFailures` with why.
   */
  async function enrolFiles(paths: readonly string[], label: GalleryLabelSource): Promise<boolean> {
    if (paths.length === 0) return false;
    enrolFailures.value = [];
    const reply = await enrolment(0, (run, options) =>
      loupe().invoke('batch.galleryEnrol', { model: { runId: run }, inputs: [...paths], label }, options),
    );
    if (!reply) return false;
    enrolFailures.value = reply.failures;
    await loadGallery();
    return true;
  }

  function cancelEnrol(): void {
    if (enrolRequest) loupe().cancel(enrolRequest);
  }

  async function removeReferences(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const reply = await attempt((run) => loupe().invoke('models.removeReferences', { runId: run, ids: [...ids] }));
    if (reply) {
      gallery.value = reply;
      queried.value = null;
    }
  }

  async function query(imageId: number, k: number = DEFAULT_QUERY_MATCHES): Promise<void> {
    const reply = await attempt((run) => loupe().invoke('models.query', { runId: run, imageId, k }));
    if (reply) queried.value = reply;
  }

  return {
    runId,
    imageA,
    imageB,
    threshold,
    comparison,
    gallery,
    enrolling,
    enrolFailures,
    queried,
    busy,
    error,
    show,
    pick,
    compare,
    loadGallery,
    enrol,
    enrolFiles,
    cancelEnrol,
    removeReferences,
    query,
  };
});
