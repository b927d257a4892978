import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type {
  LabelTask,
  ReplyOf,
  ReviewOrder,
  ReviewQueueItem,
  ReviewSource,
  ReviewVerdict,
  ReviewVerdictKind,
  RunSummary,
} from '../../../contract/index';
import { attemptWith } from './attempt';
import { loupe } from '../client/index';
import { useReviewExplainStore } from './review-explain';

type Queue = ReplyOf<'review.queue'>;

/** A disagree verdict whose correct class may become the image's label, waiting for the reviewer to confirm. */
export interface PendingCorrection {
  verdict: ReviewVerdict;
  className: string;
}

/**
 * The Review section: which completed classification run is reviewed, on which images and in
 * which order (the queue, predicted by the services with progress and cancel), the image shown,
 * verdicts recorded to the audit trail, a correction offered as a label, the reviewer's name and
 * the report export. Moving through the queue prefetches the next image (see the viewer store).
 */
export const useReviewStore = defineStore('review', () => {
  const runs = ref<RunSummary[]>([]);
  const tasks = ref<LabelTask[]>([]);
  const runId = ref<string | null>(null);
  const source = ref<ReviewSource>({ kind: 'split', split: 'test' });
  const order = ref<ReviewOrder>('entropy');
  const queue = ref<Queue | null>(null);
  const index = ref(0);
  const building = ref<{ done: number; total: number } | null>(null);
  const reviewer = ref('');
  const comment = ref('');
  /** D pressed: the next number key picks the correct class. */
  const pickingClass = ref(false);
  const correction = ref<PendingCorrection | null>(null);
  const busy = ref(false);
  const error = ref<string | null>(null);
  const lastExport = ref<ReplyOf<'review.export'> | null>(null);
  const calibration = ref<ReplyOf<'review.calibration'> | null>(null);
  const calibrating = ref<{ done: number; total: number } | null>(null);
  let queueRequest: string | null = null;

  const reviewable = computed(() =>
    runs.value.filter((r) => r.state === 'completed' && r.kind === 'classification' && r.taskId !== null),
  );
  const current = computed<ReviewQueueItem | null>(() => queue.value?.items[index.value] ?? null);
  const task = computed(
    () =>
      tasks.value.find((t) => t.id === queue.value?.taskId) ??
      tasks.value.find((t) => t.id === reviewable.value.find((r) => r.runId === runId.value)?.taskId) ??
      null,
  );
  const reviewed = computed(() => queue.value?.items.filter((i) => i.verdict !== null).length ?? 0);

  const attempt = attemptWith(busy, error);

  async function hydrate(): Promise<void> {
    await attempt(async () => {
      const [r, t, s] = await Promise.all([
        loupe().invoke('training.runs', {}),
        loupe().invoke('labels.tasks', {}),
        loupe().invoke('review.settings', {}),
      ]);
      runs.value = r.runs;
      tasks.value = t.tasks;
      reviewer.value = s.reviewer;
      if (!reviewable.value.some((x) => x.runId === runId.value)) runId.value = reviewable.value[0]?.runId ?? null;
    });
  }

  async function setReviewer(name: string): Promise<void> {
    const reply = await attempt(() => loupe().invoke('review.settings', { reviewer: name }));
    if (reply) reviewer.value = reply.reviewer;
  }

  async function buildQueue(): Promise<void> {
    const run = runId.value;
    if (!run || building.value) return;
    queueRequest = crypto.randomUUID();
    const requestId = queueRequest;
    building.value = { done: 0, total: 0 };
    const reply = await attempt(() =>
      loupe().invoke(
        'review.queue',
        { runId: run, source: source.value, order: order.value },
        { requestId, onProgress: (p) => (building.value = p) },
      ),
    );
    building.value = null;
    queueRequest = null;
    if (!reply) return;
    const shown = current.value?.imageId;
    queue.value = reply;
    correction.value = null;
    pickingClass.value = false;
    comment.value = '';
    // A rebuilt queue (another order, a new calibration) stays on the image being looked at.
    index.value = Math.max(
      0,
      reply.items.findIndex((i) => i.imageId === shown),
    );
  }

  function cancelQueue(): void {
    if (queueRequest) loupe().cancel(queueRequest);
  }

  function select(i: number): void {
    const items = queue.value?.items ?? [];
    if (items.length === 0) return;
    index.value = Math.max(0, Math.min(items.length - 1, i));
    pickingClass.value = false;
    correction.value = null;
    comment.value = current.value?.verdict?.comment ?? '';
  }

  /** The image after the current one, which the section prefetches. */
  const nextItem = computed(() => queue.value?.items[index.value + 1] ?? null);

  async function record(verdict: ReviewVerdictKind, correctClassId?: number): Promise<ReviewVerdict | null> {
    const item = current.value;
    const q = queue.value;
    if (!item || !q) return null;
    // The trail says what the reviewer saw beside the prediction: the heatmap's method when one was on the image.
    const explain = useReviewExplainStore();
    const heatmap = explain.visible && explain.shown?.imageId === item.imageId ? explain.shown.method : null;
    const recorded = await attempt(() =>
      loupe().invoke('review.record', {
        runId: q.runId,
        imageId: item.imageId,
        verdict,
        comment: comment.value,
        ...(correctClassId === undefined ? {} : { correctClassId }),
        ...(heatmap === null ? {} : { method: heatmap }),
      }),
    );
    pickingClass.value = false;
    if (!recorded) return null;
    q.items = q.items.map((i) => (i.imageId === item.imageId ? { ...i, verdict: recorded } : i));
    if (recorded.correctClass !== null) correction.value = { verdict: recorded, className: recorded.correctClass };
    else advance();
    return recorded;
  }

  /** D, then a number: disagree with the k-th class of the task (1-based, in legend order). */
  async function disagreeWith(position: number): Promise<void> {
    const cls = task.value?.classes[position - 1];
    if (!cls) return;
    await record('disagree', cls.id);
  }

  async function confirmCorrection(): Promise<void> {
    const pending = correction.value;
    if (!pending) return;
    const applied = await attempt(() => loupe().invoke('review.applyCorrection', { verdictId: pending.verdict.id }));
    if (!applied) return;
    const q = queue.value;
    if (q)
      q.items = q.items.map((i) =>
        i.imageId === applied.imageId
          ? {
              ...i,
              labelClassIds: applied.classIds,
              verdict: { ...pending.verdict, correctionRevision: applied.revision },
            }
          : i,
      );
    correction.value = null;
    advance();
  }

  function declineCorrection(): void {
    correction.value = null;
    advance();
  }

  function advance(): void {
    comment.value = '';
    const items = queue.value?.items ?? [];
    if (index.value < items.length - 1) select(index.value + 1);
  }

  /** Reliability on the validation split; with `fit`, a temperature is fitted and stored, and the queue is predicted again with it. */
  async function measureCalibration(fit: boolean): Promise<void> {
    const run = runId.value;
    if (!run || calibrating.value) return;
    calibrating.value = { done: 0, total: 0 };
    const reply = await attempt(() =>
      loupe().invoke('review.calibration', { runId: run, fit }, { onProgress: (p) => (calibrating.value = p) }),
    );
    calibrating.value = null;
    if (!reply || run !== runId.value) return;
    calibration.value = reply;
    if (fit && queue.value?.runId === run) await buildQueue();
  }

  /** `run`: another run than the one chosen here (Review of segmentation runs keeps its own choice). */
  async function exportReport(
    out: string,
    format: 'csv' | 'html',
    includeIdentifiers: boolean,
    run: string | undefined = runId.value ?? undefined,
  ): Promise<void> {
    const reply = await attempt(() =>
      loupe().invoke('review.export', { out, format, includeIdentifiers, ...(run ? { runId: run } : {}) }),
    );
    if (reply) lastExport.value = reply;
  }

  return {
    runs,
    tasks,
    runId,
    source,
    order,
    queue,
    index,
    building,
    reviewer,
    comment,
    pickingClass,
    correction,
    busy,
    error,
    lastExport,
    calibration,
    calibrating,
    reviewable,
    current,
    nextItem,
    task,
    reviewed,
    hydrate,
    setReviewer,
    buildQueue,
    cancelQueue,
    select,
    record,
    disagreeWith,
    confirmCorrection,
    declineCorrection,
    measureCalibration,
    exportReport,
  };
});
