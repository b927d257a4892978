import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LoupeError, type ImageLabels, type LabelTask, type RequestOf } from '../../../contract/index';
import { setLoupeClient } from '../client/index';
import { fakeClient } from '../testing/fake-client';
import { brushSegment } from '../labeling/mask-tools';
import { useImageLabelsStore } from './image-labels';
import { useLabelTasksStore } from './label-tasks';

beforeEach(() => {
  vi.useFakeTimers();
  setActivePinia(createPinia());
});
afterEach(() => vi.useRealTimers());

const labels = (over: Partial<ImageLabels> = {}): ImageLabels => ({
  taskId: 1,
  imageId: 10,
  revision: 3,
  width: 8,
  height: 4,
  classIds: [],
  boxes: [],
  mask: null,
  frame: 0,
  maskFrames: [],
  ...over,
});
type SaveRequest = RequestOf<'labels.save'>;

describe('useImageLabelsStore', () => {
  it('autosaves a class key press about a second later, with its base revision, and undoes it', async () => {
    const saves: SaveRequest[] = [];
    setLoupeClient(
      fakeClient({
        'labels.get': () => labels(),
        'labels.save': (r) => (saves.push(r), { revision: r.baseRevision + 1, duplicate: false, savedAt: 'now' }),
      }),
    );
    const store = useImageLabelsStore();
    await store.load(1, 'classification', 10);
    store.pressClass(1, 10, 7, false);
    expect(store.entry(1, 10).classIds).toEqual([7]);
    await vi.advanceTimersByTimeAsync(999);
    expect(saves).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(saves).toEqual([{ taskId: 1, imageId: 10, baseRevision: 3, saveId: expect.any(String), classIds: [7] }]);
    expect(store.entry(1, 10).revision).toBe(4);
    expect(store.dirty).toEqual([]);
    expect(store.undo(1, 10)).toBe(true);
    expect(store.entry(1, 10).classIds).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(saves[1]).toMatchObject({ baseRevision: 4, classIds: [] });
    expect(store.canRedo(1, 10)).toBe(true);
  });

  it('retries a failed save with the same save id, so the server applies it once', async () => {
    const saves: SaveRequest[] = [];
    let fail = true;
    setLoupeClient(
      fakeClient({
        'labels.get': () => labels(),
        'labels.save': (r) => {
          saves.push(r);
          if (fail) throw new LoupeError('DISCONNECTED', 'The connection to Loupe was lost.');
          return { revision: 4, duplicate: false, savedAt: 'now' };
        },
      }),
    );
    const store = useImageLabelsStore();
    await store.load(1, 'detection', 10);
    store.setBoxes(1, 10, [{ classId: 2, x1: 0, y1: 0, x2: 3, y2: 3 }]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.autosave.status).toBe('error');
    expect(store.autosave.error).toBe('The connection to Loupe was lost.');
    fail = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(saves).toHaveLength(2);
    expect(saves[1]!.saveId).toBe(saves[0]!.saveId);
    expect(saves[1]!.boxes).toEqual([{ classId: 2, x1: 0, y1: 0, x2: 3, y2: 3 }]);
    expect(store.autosave.status).toBe('saved');
  });

  it('holds a conflicting image for the user, and saves over the newer revision when told to keep mine', async () => {
    const saves: SaveRequest[] = [];
    let revision = 3;
    setLoupeClient(
      fakeClient({
        'labels.get': () => labels({ revision }),
        'labels.save': (r) => {
          saves.push(r);
          if (r.baseRevision !== revision) throw new LoupeError('CONFLICT', 'These labels were changed elsewhere.');
          return { revision: ++revision, duplicate: false, savedAt: 'now' };
        },
      }),
    );
    const store = useImageLabelsStore();
    await store.load(1, 'classification', 10);
    revision = 9; // someone else saved meanwhile
    store.setClasses(1, 10, [5]);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(saves).toHaveLength(1);
    expect(store.conflicts.map((e) => e.conflict)).toEqual(['These labels were changed elsewhere.']);
    await store.resolveConflict(1, 10, 'mine');
    await vi.advanceTimersByTimeAsync(1000);
    expect(saves[1]).toMatchObject({ baseRevision: 9, classIds: [5] });
    expect(store.conflicts).toEqual([]);
  });

  it('paints a mask as one undo step, saves the pixels, and undoing the first stroke removes the mask', async () => {
    const saves: SaveRequest[] = [];
    setLoupeClient(
      fakeClient({
        'labels.get': () => labels({ taskId: 2 }),
        'labels.save': (r) => (saves.push(r), { revision: r.baseRevision + 1, duplicate: false, savedAt: 'now' }),
      }),
    );
    const store = useImageLabelsStore();
    await store.load(2, 'segmentation', 10);
    const begun = store.beginStroke(2, 10);
    brushSegment(begun.stroke, { x: 0, y: 1.5 }, { x: 3, y: 1.5 }, 0.5, 1);
    brushSegment(begun.stroke, { x: 3, y: 1.5 }, { x: 8, y: 1.5 }, 0.5, 1);
    store.endStroke(2, 10, begun);
    await vi.advanceTimersByTimeAsync(1000);
    expect(Array.from(saves[0]!.mask!.data)).toEqual([
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      ...new Array(16).fill(0),
    ]);
    store.undo(2, 10);
    expect(store.entry(2, 10).mask).toBeNull();
    expect(store.canUndo(2, 10)).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(saves[1]).toMatchObject({ baseRevision: 4, mask: null });
  });

  it('bulk-assigns after flushing pending edits, and drops the cached copies it changed', async () => {
    const order: string[] = [];
    setLoupeClient(
      fakeClient({
        'labels.get': (r) => labels({ imageId: r.imageId }),
        'labels.save': () => (order.push('save'), { revision: 4, duplicate: false, savedAt: 'now' }),
        'labels.assign': (r) => (
          order.push('assign'),
          { revisions: r.imageIds.map((imageId) => ({ imageId, revision: 5 })) }
        ),
      }),
    );
    const store = useImageLabelsStore();
    await store.load(1, 'classification', 10);
    await store.load(1, 'classification', 11);
    store.setClasses(1, 10, [1]);
    await store.bulkAssign({ taskId: 1, imageIds: [10, 11], mode: 'add', classId: 2 });
    expect(order).toEqual(['save', 'assign']);
    expect(store.entries.size).toBe(0);
  });
});

describe('useLabelTasksStore', () => {
  const task: LabelTask = {
    id: 1,
    name: 'Findings',
    kind: 'classification',
    multiLabel: false,
    frames: 'first',
    images: { kind: 'all' },
    createdAt: '2026-01-01T00:00:00Z',
    classes: [
      { id: 11, taskId: 1, name: 'normal', color: '#4e79a7', position: 1, maskIndex: null },
      { id: 12, taskId: 1, name: 'nodule', color: '#f28e2b', position: 0, maskIndex: null },
    ],
  };

  it('maps keys to classes by position and follows workspace changes', async () => {
    const client = fakeClient({ 'labels.tasks': () => ({ tasks: [structuredClone(task)] }) });
    setLoupeClient(client);
    const store = useLabelTasksStore();
    await store.hydrate();
    expect(store.current?.name).toBe('Findings');
    expect(store.classForKey(0)?.name).toBe('nodule');
    expect(store.classForKey(1)?.name).toBe('normal');
    expect(store.classForKey(8)).toBeNull();
    client.emit('workspace.changed', null);
    expect(store.tasks).toEqual([]);
  });

  it('renames at once and rolls back, with the error, when the save is refused', async () => {
    let seen = '';
    setLoupeClient(
      fakeClient({
        'labels.tasks': () => ({ tasks: [structuredClone(task)] }),
        'labels.updateClass': () => {
          seen = store.tasks[0]!.classes.find((c) => c.id === 11)!.name;
          throw new LoupeError('INVALID_REQUEST', 'This task already has a class named "nodule".');
        },
      }),
    );
    const store = useLabelTasksStore();
    await store.hydrate();
    expect(await store.updateClass(11, { name: 'nodule' })).toBe(false);
    expect(seen).toBe('nodule');
    expect(store.tasks[0]!.classes.find((c) => c.id === 11)!.name).toBe('normal');
    expect(store.error).toMatch(/already has a class/);
  });

  it('shows what a class deletion would remove before deleting with that confirmation', async () => {
    const loss = { images: 3, classTags: 3, boxes: 0, masks: 0, maskPixels: 0, pairs: 0 };
    const client = fakeClient({
      'labels.tasks': () => ({ tasks: [structuredClone(task)] }),
      'labels.classLoss': () => loss,
      'labels.deleteClass': () => ({ deleted: loss }),
    });
    setLoupeClient(client);
    const store = useLabelTasksStore();
    await store.hydrate();
    const shown = await store.classLoss(12);
    expect(shown).toEqual(loss);
    expect(await store.deleteClass(12, shown!)).toBe(true);
    expect(client.calls.find((c) => c.channel === 'labels.deleteClass')?.request).toEqual({
      classId: 12,
      confirm: loss,
    });
  });
});
