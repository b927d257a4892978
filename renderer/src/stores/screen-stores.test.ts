import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import type { ImageLabels, ImageRecord, LabelPair, LabelTask, RequestOf } from '../../../contract/index';
import { setLoupeClient } from '../client/index';
import { useImagesStore } from './images';
import { useWorkspaceStore } from './workspace';
import { fakeClient } from '../testing/fake-client';
import { useDraftBoxesStore } from './draft-boxes';
import { useImageLabelsStore } from './image-labels';
import { useLabelGridStore } from './label-grid';
import { useLabelTasksStore } from './label-tasks';
import { usePairsStore } from './pairs';

beforeEach(() => {
  vi.useFakeTimers();
  setActivePinia(createPinia());
});
afterEach(() => vi.useRealTimers());

const saveReply = (r: RequestOf<'labels.save'>) => ({ revision: r.baseRevision + 1, duplicate: false, savedAt: 'now' });
const labels = (over: Partial<ImageLabels> = {}): ImageLabels => ({
  taskId: 1,
  imageId: 10,
  revision: 3,
  width: 100,
  height: 80,
  classIds: [],
  boxes: [],
  mask: null,
  frame: 0,
  maskFrames: [],
  ...over,
});

describe('draft boxes', () => {
  it('accepts a draft as a real box through the normal edit, undo and save path; the others stay drafts', async () => {
    const saves: RequestOf<'labels.save'>[] = [];
    setLoupeClient(
      fakeClient({
        'labels.get': () => labels({ boxes: [{ classId: 1, x1: 0, y1: 0, x2: 5, y2: 5 }] }),
        'labels.save': (r) => (saves.push(r), saveReply(r)),
      }),
    );
    const drafts = useDraftBoxesStore();
    const store = useImageLabelsStore();
    drafts.setDraftBoxes(1, 10, [
      { classId: 2, x1: 10, y1: 10, x2: 20, y2: 20, score: 0.9 },
      // A prediction reaching past the image edge is clipped when accepted.
      { classId: 2, x1: 90, y1: 70, x2: 104, y2: 85, score: 0.6 },
      { classId: 1, x1: 30, y1: 30, x2: 40, y2: 40, score: 0.4 },
    ]);
    drafts.updateDraft(1, 10, 0, { x1: 11, y1: 10, x2: 21, y2: 20 });
    expect(await drafts.acceptDrafts(1, 10, [0, 1])).toBe(2);
    expect(drafts.draftsOf(1, 10)).toEqual([{ classId: 1, x1: 30, y1: 30, x2: 40, y2: 40, score: 0.4 }]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(saves).toHaveLength(1);
    expect(saves[0]!.boxes).toEqual([
      { classId: 1, x1: 0, y1: 0, x2: 5, y2: 5 },
      { classId: 2, x1: 11, y1: 10, x2: 21, y2: 20 },
      { classId: 2, x1: 90, y1: 70, x2: 100, y2: 80 },
    ]);
    expect(store.undo(1, 10)).toBe(true);
    expect(store.entry(1, 10).boxes).toHaveLength(1);
    drafts.deleteDraft(1, 10, 0);
    expect(drafts.draftsOf(1, 10)).toEqual([]);
  });
});

describe('image labels loading', () => {
  it('shares one request per image, and keeps an edit made while a reload was on its way', async () => {
    let gets = 0;
    let release: (() => void) | null = null;
    setLoupeClient(
      fakeClient({
        'labels.get': async () => {
          gets++;
          if (gets === 2) await new Promise<void>((resolve) => (release = resolve));
          return labels({ classIds: [] });
        },
        'labels.save': saveReply,
      }),
    );
    const store = useImageLabelsStore();
    const [a, b] = await Promise.all([store.load(1, 'classification', 10), store.load(1, 'classification', 10)]);
    expect(gets).toBe(1);
    expect(a).toBe(b);
    const reloading = store.load(1, 'classification', 10);
    store.pressClass(1, 10, 7, false);
    release!();
    await reloading;
    expect(store.entry(1, 10).classIds).toEqual([7]);
  });
});

describe('switching workspaces', () => {
  it('saves pending edits into the workspace they were made in, then forgets that workspace’s labels and drafts', async () => {
    const order: string[] = [];
    setLoupeClient(
      fakeClient({
        'labels.get': () => labels(),
        'labels.save': (r) => (order.push(`save ${r.classIds!.join()}`), saveReply(r)),
        'workspace.open': (r) => (
          order.push(`open ${r.path}`),
          { path: r.path, name: 'other', schemaVersion: 3, createdAt: 'now' }
        ),
      }),
    );
    const store = useImageLabelsStore();
    const drafts = useDraftBoxesStore();
    await store.load(1, 'classification', 10);
    store.pressClass(1, 10, 7, false);
    drafts.setDraftBoxes(1, 10, [{ classId: 1, x1: 0, y1: 0, x2: 4, y2: 4 }]);
    expect(await useWorkspaceStore().open('/data/other', false)).toBe(true);
    await nextTick();
    expect(order).toEqual(['save 7', 'open /data/other']);
    expect(store.entries.size).toBe(0);
    expect(drafts.draftsOf(1, 10)).toEqual([]);
  });
});

const image = (id: number): ImageRecord => ({
  id,
  sha256: String(id),
  path: `/data/${id}.png`,
  fileName: `${id}.png`,
  format: 'png',
  fileSize: 1,
  rows: 8,
  columns: 8,
  frames: 1,
  modality: null,
  patientId: null,
  importedAt: 'now',
  missing: false,
});

describe('labeling grid', () => {
  const task: LabelTask = {
    id: 1,
    name: 'Findings',
    kind: 'classification',
    multiLabel: false,
    frames: 'first',
    images: { kind: 'all' },
    createdAt: 'now',
    classes: [
      { id: 11, taskId: 1, name: 'normal', color: '#4e79a7', position: 0, maskIndex: null },
      { id: 12, taskId: 1, name: 'nodule', color: '#f28e2b', position: 1, maskIndex: null },
    ],
  };

  /** A server holding class tags, answering summary, assign, get and save like the real one. */
  function server(initial: Record<number, number[]>) {
    const tags = new Map(Object.entries(initial).map(([k, v]) => [Number(k), v]));
    const revisions = new Map<number, number>();
    const client = fakeClient({
      'labels.tasks': () => ({ tasks: [structuredClone(task)] }),
      'labels.summary': () => ({
        images: [...tags].map(([imageId, classIds]) => ({
          imageId,
          revision: revisions.get(imageId) ?? 0,
          classIds,
          boxes: 0,
          labeled: classIds.length > 0,
          split: null,
        })),
      }),
      'labels.get': (r) =>
        labels({ imageId: r.imageId, classIds: tags.get(r.imageId) ?? [], revision: revisions.get(r.imageId) ?? 0 }),
      'labels.save': (r) => (
        tags.set(r.imageId, r.classIds!),
        revisions.set(r.imageId, r.baseRevision + 1),
        saveReply(r)
      ),
      'labels.assign': (r) => {
        for (const id of r.imageIds) tags.set(id, r.mode === 'clear' ? [] : r.mode === 'remove' ? [] : [r.classId!]);
        return { revisions: r.imageIds.map((imageId) => ({ imageId, revision: 9 })) };
      },
    });
    return { client, tags };
  }

  it('shows local edits on the badges at once, filters, steps past a filtered-out image, and undoes a bulk assign', async () => {
    const { client, tags } = server({ 1: [11], 2: [], 3: [], 4: [12] });
    setLoupeClient(client);
    useImagesStore().images = [1, 2, 3, 4].map(image);
    const tasks = useLabelTasksStore();
    await tasks.hydrate();
    const grid = useLabelGridStore();
    const store = useImageLabelsStore();
    grid.reset();
    await grid.refresh();
    expect(grid.badge(4).classIds).toEqual([12]);
    grid.setFilter({ kind: 'unlabeled' });
    expect(grid.shownIds).toEqual([2, 3]);
    grid.setCurrent(2);
    await store.load(1, 'classification', 2);
    store.pressClass(1, 2, 12, false);
    // Labeled now: it leaves the "unlabeled" view at once, and → goes on to the next one.
    expect(grid.badge(2).classIds).toEqual([12]);
    expect(grid.shownIds).toEqual([3]);
    expect(grid.step(1)).toBe(true);
    expect(grid.currentId).toBe(3);
    grid.setFilter({ kind: 'all' });
    grid.click(1, { ctrl: false, shift: false });
    grid.click(3, { ctrl: false, shift: true });
    await grid.assignSelected(11);
    expect([...tags]).toEqual([
      [1, [11]],
      [2, [11]],
      [3, [11]],
      [4, [12]],
    ]);
    expect(grid.badge(2).classIds).toEqual([11]);
    await grid.undoBulk();
    expect([...tags]).toEqual([
      [1, [11]],
      [2, [12]],
      [3, []],
      [4, [12]],
    ]);
    expect(grid.badge(3).classIds).toEqual([]);
    await grid.redoBulk();
    expect(tags.get(2)).toEqual([11]);
    expect(grid.canRedoBulk).toBe(false);
  });
});

describe('pairs', () => {
  it('undoes and redoes marks (restoring a re-marked pair) and deletions', async () => {
    let next = 1;
    const pairs = new Map<string, LabelPair>();
    const key = (a: number, b: number) => `${Math.min(a, b)}:${Math.max(a, b)}`;
    setLoupeClient(
      fakeClient({
        'labels.pairs': () => ({ pairs: [...pairs.values()].sort((a, b) => b.id - a.id), total: pairs.size }),
        'labels.addPair': (r) => {
          const k = key(r.imageA, r.imageB);
          const pair: LabelPair = {
            id: pairs.get(k)?.id ?? next++,
            imageA: Math.min(r.imageA, r.imageB),
            imageB: Math.max(r.imageA, r.imageB),
            same: r.same,
            source: 'manual',
          };
          pairs.set(k, pair);
          return pair;
        },
        'labels.deletePairs': (r) => {
          let deleted = 0;
          for (const [k, p] of pairs) {
            if (!r.pairIds.includes(p.id)) continue;
            pairs.delete(k);
            deleted++;
          }
          return { deleted };
        },
      }),
    );
    const store = usePairsStore();
    await store.load(5);
    await store.mark(5, 1, 2, true);
    await store.mark(5, 2, 1, false);
    expect(store.pairs.map((p) => p.same)).toEqual([false]);
    await store.undo();
    expect(store.pairs.map((p) => p.same)).toEqual([true]);
    await store.undo();
    expect(store.total).toBe(0);
    await store.redo();
    await store.redo();
    expect(store.pairs.map((p) => p.same)).toEqual([false]);
    await store.remove(5, [store.pairs[0]!.id]);
    expect(store.total).toBe(0);
    await store.undo();
    expect(store.pairs.map((p) => [p.imageA, p.imageB, p.same])).toEqual([[1, 2, false]]);
    await store.redo();
    expect(store.total).toBe(0);
    expect(store.canRedo()).toBe(false);
  });
});
