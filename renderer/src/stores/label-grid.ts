import { defineStore } from 'pinia';
import { computed, ref, shallowRef, toRaw } from 'vue';
import type { ImageLabelSummary, ImageRecord } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';
import { useImagesStore } from './images';
import { BulkHistory, restoreRequests, type AssignRequest } from '../labeling/bulk-history';
import {
  clickSelection,
  matchesFilter,
  neighbour,
  type GridFilter,
  type ImageBadge,
  type SelectionClick,
} from '../labeling/grid-filter';
import { maskValuesPresent } from '../labeling/mask-overlay';
import { entryKey, useImageLabelsStore, type ImageEntry } from './image-labels';
import { useLabelTasksStore } from './label-tasks';

const NO_LABELS: ImageBadge = { classIds: [], boxes: 0, labeled: false, split: null };

/**
 * The labeling grid: what each image carries in the current task (the server's summary, overridden
 * by local edits as they happen, so a badge changes with the key press and not a second later),
 * the filter, the current image, the multi-selection, and bulk class assignment with its undo.
 */
export const useLabelGridStore = defineStore('labelGrid', () => {
  const images = useImagesStore();
  const labels = useImageLabelsStore();
  const tasks = useLabelTasksStore();
  const server = shallowRef(new Map<number, ImageLabelSummary>());
  const filter = ref<GridFilter>({ kind: 'all' });
  const selected = shallowRef<Set<number>>(new Set());
  const currentId = ref<number | null>(null);
  const anchor = ref<number | null>(null);
  const error = ref<string | null>(null);
  const busy = ref(false);
  const bulk = new BulkHistory();
  const bulkVersion = shallowRef(0);
  /** Classes present in loaded masks, per entry and version: one pass over a mask per edit, not per render. */
  let maskClasses = new WeakMap<ImageEntry, { version: number; classIds: number[] }>();

  async function refresh(): Promise<void> {
    const task = tasks.current;
    if (!task) {
      server.value = new Map();
      return;
    }
    try {
      const { images: rows } = await loupe().invoke('labels.summary', { taskId: task.id });
      if (tasks.current?.id !== task.id) return;
      server.value = new Map(rows.map((row) => [row.imageId, row]));
      error.value = null;
      // The task's images may have changed (a new choice of images): stay on one of them.
      const ids = order.value;
      if (currentId.value === null || !ids.includes(currentId.value)) setCurrent(ids[0] ?? null);
    } catch (e) {
      error.value = messageOf(e);
    }
  }

  function localBadge(e: ImageEntry, split: ImageBadge['split']): ImageBadge {
    if (e.kind === 'classes') return { classIds: e.classIds, boxes: 0, labeled: e.classIds.length > 0, split };
    // An image whose boxes were saved (or edited) was looked at: with no boxes it is a labeled negative.
    if (e.kind === 'boxes')
      return {
        classIds: [...new Set(e.boxes.map((b) => b.classId))].sort((a, b) => a - b),
        boxes: e.boxes.length,
        labeled: e.revision > 0 || e.version > 0,
        split,
      };
    const key = toRaw(e);
    let cached = maskClasses.get(key);
    if (!cached || cached.version !== e.version) {
      const byIndex = new Map((tasks.current?.classes ?? []).map((c) => [c.maskIndex, c.id]));
      const classIds = e.mask ? maskValuesPresent(e.mask).flatMap((v) => byIndex.get(v) ?? []) : [];
      maskClasses.set(key, (cached = { version: e.version, classIds }));
    }
    return { classIds: cached.classIds, boxes: 0, labeled: e.mask !== null, split };
  }

  /** The badge with the lookups hoisted: the filter calls this for every image of the workspace. */
  function badgeIn(
    taskId: number | null,
    local: ReadonlyMap<string, ImageEntry>,
    summary: ReadonlyMap<number, ImageLabelSummary>,
    imageId: number,
  ): ImageBadge {
    const fromServer = summary.get(imageId);
    const split = fromServer?.split ?? null;
    // A loaded image's own labels are at least as new as the summary, and show edits as they happen.
    const e = taskId === null ? undefined : local.get(entryKey(taskId, imageId));
    if (e) return localBadge(e, split);
    return fromServer
      ? { classIds: fromServer.classIds, boxes: fromServer.boxes, labeled: fromServer.labeled, split }
      : NO_LABELS;
  }

  /**
   * Cached labels are looked up untracked, with every change signalled by the store's two
   * versions: with a filter on, the grid asks for all 10,000 images, and one reactive dependency
   * per image per edit adds up.
   */
  function localEntries(): ReadonlyMap<string, ImageEntry> {
    void labels.historyVersion;
    void labels.maskVersion;
    return toRaw(labels.entries);
  }

  function badge(imageId: number): ImageBadge {
    return badgeIn(tasks.current?.id ?? null, localEntries(), server.value, imageId);
  }

  /** The task's images: every image, or, when the task chose some, those the server's summary lists. */
  const taskImages = computed<ImageRecord[]>(() => {
    if (!tasks.current || tasks.current.images.kind === 'all') return images.images;
    const summary = server.value;
    return images.images.filter((image) => summary.has(image.id));
  });
  const order = computed(() => taskImages.value.map((image) => image.id));
  const shown = computed<ImageRecord[]>(() => {
    const wanted = filter.value;
    if (wanted.kind === 'all') return taskImages.value;
    const taskId = tasks.current?.id ?? null;
    const local = localEntries();
    const summary = server.value;
    return taskImages.value.filter((image) => matchesFilter(badgeIn(taskId, local, summary, image.id), wanted));
  });
  const shownIds = computed(() => shown.value.map((image) => image.id));
  const shownSet = computed(() => new Set(shownIds.value));

  function setCurrent(id: number | null): void {
    currentId.value = id;
    selected.value = new Set(id === null ? [] : [id]);
    anchor.value = id;
  }

  function click(id: number, how: SelectionClick): void {
    const next = clickSelection(shownIds.value, selected.value, anchor.value, id, how);
    selected.value = next.selected;
    anchor.value = next.anchor;
    currentId.value = id;
  }

  /** → and ←: the next shown image after the current one; false at the end. */
  function step(direction: 1 | -1): boolean {
    const next = neighbour(order.value, (id) => shownSet.value.has(id), currentId.value, direction);
    if (next === null) return false;
    setCurrent(next);
    return true;
  }

  function selectAllShown(): void {
    selected.value = new Set(shownIds.value);
  }

  function setFilter(next: GridFilter): void {
    filter.value = next;
  }

  async function runBulk(request: AssignRequest): Promise<void> {
    await labels.bulkAssign(request);
  }

  /**
   * Keys 1–9 with several images selected. Single-label: every selected image gets the class.
   * Multi-label: the class is added to all, or removed from all when all already had it.
   */
  async function assignSelected(classId: number | null): Promise<void> {
    const task = tasks.current;
    if (!task || selected.value.size === 0) return;
    const imageIds = [...selected.value];
    const before = new Map(imageIds.map((id) => [id, [...badge(id).classIds]]));
    let request: AssignRequest;
    if (classId === null) request = { taskId: task.id, imageIds, mode: 'clear' };
    else if (!task.multiLabel) request = { taskId: task.id, imageIds, mode: 'set', classId };
    else
      request = {
        taskId: task.id,
        imageIds,
        mode: imageIds.every((id) => before.get(id)!.includes(classId)) ? 'remove' : 'add',
        classId,
      };
    busy.value = true;
    try {
      await runBulk(request);
      bulk.push({ request, before });
      bulkVersion.value++;
      error.value = null;
    } catch (e) {
      error.value = messageOf(e);
    } finally {
      busy.value = false;
      await refresh();
    }
  }

  async function undoBulk(): Promise<boolean> {
    const task = tasks.current;
    const edit = bulk.undo();
    if (!task || !edit) return false;
    busy.value = true;
    try {
      for (const request of restoreRequests(task.id, edit.before, task.multiLabel)) await runBulk(request);
      error.value = null;
    } catch (e) {
      bulk.restoreUndo(edit);
      error.value = messageOf(e);
    } finally {
      bulkVersion.value++;
      busy.value = false;
      await refresh();
    }
    return true;
  }

  async function redoBulk(): Promise<boolean> {
    const edit = bulk.redo();
    if (!edit) return false;
    busy.value = true;
    try {
      await runBulk(edit.request);
      error.value = null;
    } catch (e) {
      bulk.restoreRedo(edit);
      error.value = messageOf(e);
    } finally {
      bulkVersion.value++;
      busy.value = false;
      await refresh();
    }
    return true;
  }

  /** Another task or workspace: its filter, selection and bulk undo no longer apply; the image shown stays. */
  function reset(): void {
    server.value = new Map();
    filter.value = { kind: 'all' };
    maskClasses = new WeakMap();
    bulk.clear();
    bulkVersion.value++;
    const keep = images.images.some((image) => image.id === currentId.value);
    setCurrent(keep ? currentId.value : (images.images[0]?.id ?? null));
  }

  const canUndoBulk = computed(() => (void bulkVersion.value, bulk.canUndo));
  const canRedoBulk = computed(() => (void bulkVersion.value, bulk.canRedo));

  return {
    server,
    filter,
    selected,
    currentId,
    error,
    busy,
    taskImages,
    shown,
    shownIds,
    canUndoBulk,
    canRedoBulk,
    refresh,
    badge,
    setCurrent,
    click,
    step,
    selectAllShown,
    setFilter,
    assignSelected,
    undoBulk,
    redoBulk,
    reset,
  };
});
