import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef, watch } from 'vue';
import type { LabelMask } from '../../../contract/geometry/index';
import { GRADIENT_CAM_METHODS, type GradientCamMethodName } from '../../../contract/index';
import type {
  LabelTask,
  MaskReviewOrder,
  MaskVerdict,
  ReplyOf,
  ReviewSource,
  ReviewVerdictKind,
  RunSummary,
} from '../../../contract/index';
import { attemptWith } from './attempt';
import { loupe, messageOf } from '../client/index';
import { LabelHistory } from '../labeling/history';
import { heldMaskTarget, stepHeldMask, type MaskTarget } from '../labeling/mask-target';
import { useImageLabelsStore } from './image-labels';
import { useWorkspaceStore } from './workspace';

type Queue = ReplyOf<'reviewMasks.queue'>;
type Shown = ReplyOf<'reviewMasks.image'>;

/** The methods a segmentation run's heatmap is made with (Seg-Grad-CAM with their weights). */
export const MASK_HEATMAP_METHODS = GRADIENT_CAM_METHODS;

/**
 * Review of segmentation runs (contract/channels/review-masks.ts): which completed run, its
 * queue, the image shown with its mask, contours and heatmap, and verdicts. D starts a correction:
 * a copy of the predicted mask the reviewer paints with the Label section's tools (mask-target.ts);
 * nothing is written until Enter confirms it, then the verdict and the label are written at once.
 */
export const useMaskReviewStore = defineStore('maskReview', () => {
  const runs = ref<RunSummary[]>([]);
  const tasks = ref<LabelTask[]>([]);
  const runId = ref<string | null>(null);
  const source = ref<ReviewSource>({ kind: 'split', split: 'test' });
  const order = ref<MaskReviewOrder>('entropy');
  const queue = ref<Queue | null>(null);
  const index = ref(0);
  const building = ref<{ done: number; total: number } | null>(null);
  const shown = shallowRef<Shown | null>(null);
  const heatmapVisible = ref(true);
  const method = ref<GradientCamMethodName>('gradcam');
  /** Model class whose contours and heatmap are shown; null: the largest predicted foreground class. */
  const classIndex = ref<number | null>(null);
  /** The mask being corrected (a copy of the prediction), or null when not correcting. */
  const correction = shallowRef<LabelMask | null>(null);
  const correctionVersion = shallowRef(0);
  let correctionHistory = new LabelHistory();
  const comment = ref('');
  const busy = ref(false);
  const error = ref<string | null>(null);
  let queueRequest: string | null = null;

  const reviewable = computed(() =>
    runs.value.filter((r) => r.state === 'completed' && r.kind === 'segmentation' && r.taskId !== null),
  );
  const current = computed(() => queue.value?.items[index.value] ?? null);
  const task = computed(() => tasks.value.find((t) => t.id === queue.value?.taskId) ?? null);
  const reviewed = computed(() => queue.value?.items.filter((i) => i.verdict !== null).length ?? 0);
  /** What the mask layer draws and, while correcting, paints. */
  const target = computed<MaskTarget | null>(() => {
    const classes = task.value?.classes ?? [];
    if (correction.value)
      return heldMaskTarget(
        correction.value,
        correctionVersion.value,
        classes,
        () => correctionVersion.value++,
        correctionHistory,
      );
    const mask = shown.value?.imageId === current.value?.imageId ? shown.value?.mask : null;
    return mask ? heldMaskTarget(mask, 0, classes, () => {}) : null;
  });

  const attempt = attemptWith(busy, error);

  async function hydrate(): Promise<void> {
    await attempt(async () => {
      const [r, t] = await Promise.all([loupe().invoke('training.runs', {}), loupe().invoke('labels.tasks', {})]);
      runs.value = r.runs;
      tasks.value = t.tasks;
      if (!reviewable.value.some((x) => x.runId === runId.value)) runId.value = reviewable.value[0]?.runId ?? null;
    });
  }

  async function buildQueue(): Promise<void> {
    const run = runId.value;
    if (!run || building.value) return;
    const requestId = (queueRequest = crypto.randomUUID());
    building.value = { done: 0, total: 0 };
    const reply = await attempt(() =>
      loupe().invoke(
        'reviewMasks.queue',
        { runId: run, source: source.value, order: order.value },
        { requestId, onProgress: (p) => (building.value = p) },
      ),
    );
    building.value = null;
    queueRequest = null;
    if (!reply) return;
    const was = current.value?.imageId;
    if (reply.runId !== queue.value?.runId) classIndex.value = null;
    queue.value = reply;
    correction.value = null;
    index.value = Math.max(
      0,
      reply.items.findIndex((i) => i.imageId === was),
    );
    comment.value = current.value?.verdict?.comment ?? '';
  }

  function cancelQueue(): void {
    if (queueRequest) loupe().cancel(queueRequest);
  }

  function select(i: number): void {
    const items = queue.value?.items ?? [];
    if (items.length === 0 || correction.value) return;
    index.value = Math.max(0, Math.min(items.length - 1, i));
    comment.value = current.value?.verdict?.comment ?? '';
  }

  /** Fetches the current image's mask, contours and heatmap; a reply for an image no longer current is dropped. */
  async function show(): Promise<void> {
    const item = current.value;
    const q = queue.value;
    if (!item || !q) return;
    try {
      const reply = await loupe().invoke('reviewMasks.image', {
        runId: q.runId,
        imageId: item.imageId,
        method: method.value,
        ...(classIndex.value === null ? {} : { classIndex: classIndex.value }),
      });
      if (current.value?.imageId === reply.imageId) shown.value = markRaw(reply);
    } catch (e) {
      error.value = messageOf(e);
    }
  }

  async function setMethod(next: GradientCamMethodName): Promise<void> {
    method.value = next;
    await show();
  }

  function updateItem(verdict: MaskVerdict): void {
    const q = queue.value;
    if (q) q.items = q.items.map((i) => (i.imageId === verdict.imageId ? { ...i, verdict } : i));
  }

  async function record(verdict: ReviewVerdictKind, correctMask?: LabelMask): Promise<MaskVerdict | null> {
    const item = current.value;
    const q = queue.value;
    if (!item || !q) return null;
    const method = heatmapVisible.value && shown.value?.heatmap ? shown.value.heatmap.method : 'prediction';
    const recorded = await attempt(() =>
      loupe().invoke('reviewMasks.record', {
        runId: q.runId,
        imageId: item.imageId,
        verdict,
        method,
        comment: comment.value,
        ...(correctMask
          ? {
              correctMask: {
                width: correctMask.width,
                height: correctMask.height,
                data: correctMask.data as Uint8Array<ArrayBuffer>,
              },
            }
          : {}),
      }),
    );
    if (recorded) updateItem(recorded);
    return recorded;
  }

  /** A (agree) and U (unsure): recorded, then on to the next image. */
  async function judge(verdict: 'agree' | 'unsure'): Promise<void> {
    if (await record(verdict)) advance();
  }

  /** D: the predicted mask, copied, becomes the mask the tools paint. */
  function startCorrection(): void {
    const mask = shown.value?.imageId === current.value?.imageId ? shown.value?.mask : null;
    if (!mask) return;
    correctionHistory = new LabelHistory();
    correction.value = markRaw({ width: mask.width, height: mask.height, data: Uint8Array.from(mask.data) });
    correctionVersion.value = 0;
  }

  /** Ctrl+Z / Ctrl+Shift+Z while correcting: steps through the painting. */
  function stepCorrection(direction: 'undo' | 'redo'): void {
    if (correction.value && stepHeldMask(correction.value, correctionHistory, direction)) correctionVersion.value++;
  }

  function cancelCorrection(): void {
    correction.value = null;
  }

  /**
   * Enter: a disagree with the painted mask, written as the image's label (from review); with no
   * pixel changed, a disagree without a mask.
   */
  async function confirmCorrection(): Promise<void> {
    const mask = correction.value;
    if (!mask) return;
    // Painting undone back to the prediction is no correction: compare the pixels, not the edit count.
    const predicted = shown.value?.mask.data;
    const edited = !predicted || mask.data.some((v, p) => v !== predicted[p]);
    const recorded = await record('disagree', edited ? mask : undefined);
    if (!recorded) return;
    if (edited) {
      const applied = await attempt(() => loupe().invoke('reviewMasks.applyCorrection', { verdictId: recorded.id }));
      if (!applied) return;
      updateItem({ ...recorded, correctionRevision: applied.revision });
      // The Label section reloads the image's labels: its cached copy predates the correction.
      await useImageLabelsStore().forgetTask(applied.taskId);
    }
    correction.value = null;
    advance();
  }

  function advance(): void {
    const items = queue.value?.items ?? [];
    if (index.value < items.length - 1) select(index.value + 1);
    else comment.value = '';
  }

  function reset(): void {
    runs.value = [];
    queue.value = null;
    shown.value = null;
    correction.value = null;
    index.value = 0;
  }
  watch(
    () => useWorkspaceStore().current?.path,
    () => reset(),
  );

  return {
    runs,
    tasks,
    runId,
    source,
    order,
    queue,
    index,
    building,
    shown,
    heatmapVisible,
    method,
    setMethod,
    classIndex,
    correction,
    correctionVersion,
    comment,
    busy,
    error,
    reviewable,
    current,
    task,
    reviewed,
    target,
    hydrate,
    buildQueue,
    cancelQueue,
    select,
    show,
    judge,
    startCorrection,
    stepCorrection,
    cancelCorrection,
    confirmCorrection,
  };
});
