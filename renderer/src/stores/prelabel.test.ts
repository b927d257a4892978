import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  prelabelRunOf,
  type ImageLabels,
  type ProposedTag,
  type RequestOf,
  type RunSummary,
} from '../../../contract/index';
import { setLoupeClient } from '../client/index';
import { fakeClient } from '../testing/fake-client';
import { useImageLabelsStore } from './image-labels';
import { useLabelNextStore } from './label-next';
import { usePrelabelStore } from './prelabel';
import { brushSegment } from '../labeling/mask-tools';
import { applyToMask } from '../labeling/mask-target';

beforeEach(() => {
  vi.useFakeTimers();
  setActivePinia(createPinia());
});
afterEach(() => vi.useRealTimers());

/** Longer than the autosave delay: anything that would be saved has been by then. */
const AFTER_AUTOSAVE_MS = 5000;

const RUN: RunSummary = {
  runId: 'run-20260101-000000-0001',
  taskId: 1,
  taskName: 'Lesion',
  kind: 'classification',
  state: 'completed',
  architecture: 'small-cnn',
  epochsDone: 1,
  epochs: 1,
  best: null,
  test: null,
  threads: 1,
  error: null,
  active: false,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
};

const labels = (imageId: number, over: Partial<ImageLabels> = {}): ImageLabels => ({
  taskId: 1,
  imageId,
  revision: 0,
  width: 4,
  height: 2,
  classIds: [],
  boxes: [],
  mask: null,
  frame: 0,
  maskFrames: [],
  ...over,
});

const tag = (imageId: number, classId: number, probability: number): ProposedTag => ({
  imageId,
  classId,
  probability,
  probabilities: [
    { classId, probability },
    { classId: classId === 5 ? 6 : 5, probability: 1 - probability },
  ],
});

function client() {
  const saves: RequestOf<'labels.save'>[] = [];
  const assigns: RequestOf<'labels.assign'>[] = [];
  const fake = fakeClient({
    'training.runs': () => ({ runs: [RUN, { ...RUN, runId: 'run-20260101-000000-0002', kind: 'segmentation' }] }),
    'labels.get': (r) => labels(r.imageId),
    'labels.save': (r) => (saves.push(r), { revision: 1, duplicate: false, savedAt: 'now' }),
    'labels.assign': (r) => (assigns.push(r), { revisions: r.imageIds.map((imageId) => ({ imageId, revision: 1 })) }),
    'models.proposeTags': () => ({ tags: [tag(10, 5, 0.95), tag(11, 6, 0.55), tag(12, 5, 0.92)] }),
    'models.proposeMask': (r) => ({
      imageId: r.imageId,
      mask: { width: 4, height: 2, data: Uint8Array.from([0, 1, 1, 0, 0, 2, 2, 2]) },
      classPixels: [
        { classId: 5, pixels: 2 },
        { classId: 6, pixels: 3 },
      ],
      meanEntropy: 0.3,
    }),
  });
  setLoupeClient(fake);
  return { fake, saves, assigns };
}

describe('pre-label drafts', () => {
  it('lists only completed runs of the kind, and keeps proposed tags as drafts that are never saved', async () => {
    const { fake, saves, assigns } = client();
    const prelabel = usePrelabelStore();
    await prelabel.load(1, 'classification');
    expect(prelabel.runs.map((r) => r.runId)).toEqual([RUN.runId]);
    expect(await prelabel.proposeTags(1, [10, 11, 12])).toBe(3);
    expect(prelabel.tagOf(1, 11)).toMatchObject({ classId: 6, probability: 0.55 });
    await vi.advanceTimersByTimeAsync(AFTER_AUTOSAVE_MS);
    expect(saves).toEqual([]);
    expect(assigns).toEqual([]);
    expect(fake.calls.map((c) => c.channel)).toEqual(['training.runs', 'models.proposeTags']);
  });

  it('accept (A) saves the draft as the class, discard (X) saves nothing, accept-all takes those above p', async () => {
    const { saves, assigns } = client();
    const prelabel = usePrelabelStore();
    const store = useImageLabelsStore();
    await prelabel.load(1, 'classification');
    await prelabel.proposeTags(1, [10, 11, 12]);

    prelabel.discard(1, 11);
    expect(prelabel.tagOf(1, 11)).toBeNull();
    expect(await prelabel.acceptTag(1, 10, false)).toBe(true);
    expect(store.entry(1, 10).classIds).toEqual([5]);
    expect(prelabel.tagOf(1, 10)).toBeNull();
    await vi.advanceTimersByTimeAsync(AFTER_AUTOSAVE_MS);
    expect(saves).toEqual([expect.objectContaining({ taskId: 1, imageId: 10, classIds: [5] })]);
    // Recorded as coming from the run; a later edit of the image by hand is not.
    expect(prelabelRunOf(saves[0]!.saveId)).toBe(RUN.runId);
    store.pressClass(1, 10, 6, false);
    await vi.advanceTimersByTimeAsync(AFTER_AUTOSAVE_MS);
    expect(prelabelRunOf(saves[1]!.saveId)).toBeNull();
    const saved = saves.length;

    await prelabel.proposeTags(1, [10, 11, 12]);
    expect(await prelabel.acceptTagsAbove(1, 0.9, false)).toBe(2);
    expect(assigns).toEqual([
      { taskId: 1, imageIds: [10, 12], mode: 'set', classId: 5, origin: `prelabel:${RUN.runId}` },
    ]);
    expect(prelabel.tagOf(1, 11)).toMatchObject({ probability: 0.55 });
    expect(saves).toHaveLength(saved);
  });

  it('an accepted mask draft becomes the image mask in one undo step; a discarded one is never saved', async () => {
    const { saves } = client();
    const prelabel = usePrelabelStore();
    const store = useImageLabelsStore();
    await prelabel.load(1, 'segmentation');
    expect(prelabel.runId).toBe('run-20260101-000000-0002');
    expect(await prelabel.proposeMask(1, 20)).toBe(true);
    prelabel.discard(1, 20);
    expect(prelabel.maskOf(1, 20)).toBeNull();
    await prelabel.proposeMask(1, 21);
    await vi.advanceTimersByTimeAsync(AFTER_AUTOSAVE_MS);
    expect(saves).toEqual([]);

    expect(await prelabel.acceptMask(1, 21)).toBe(true);
    expect([...store.entry(1, 21).mask!.data]).toEqual([0, 1, 1, 0, 0, 2, 2, 2]);
    await vi.advanceTimersByTimeAsync(AFTER_AUTOSAVE_MS);
    expect(saves).toHaveLength(1);
    expect([...(saves[0]!.mask as { data: Uint8Array }).data]).toEqual([0, 1, 1, 0, 0, 2, 2, 2]);
    expect(prelabelRunOf(saves[0]!.saveId)).toBe('run-20260101-000000-0002');
    expect(store.undo(1, 21)).toBe(true);
    expect(store.entry(1, 21).mask).toBeNull();
  });

  it('a mask draft painted and erased with the mask tools is saved only when accepted, as edited', async () => {
    const { saves } = client();
    const prelabel = usePrelabelStore();
    const store = useImageLabelsStore();
    await prelabel.load(1, 'segmentation');
    await prelabel.proposeMask(1, 21);
    const classes = [
      { id: 5, taskId: 1, name: 'a', color: '#ff0000', position: 0, maskIndex: 1 },
      { id: 6, taskId: 1, name: 'b', color: '#00ff00', position: 1, maskIndex: 2 },
    ];
    const before = prelabel.draftVersion;
    // The brush paints class b over the first row's left half; the eraser clears the last pixel.
    const target = prelabel.draftTarget(1, 21, classes)!;
    applyToMask(target, (s) => brushSegment(s, { x: 0.5, y: 0.5 }, { x: 1.5, y: 0.5 }, 0.5, 2));
    applyToMask(prelabel.draftTarget(1, 21, classes)!, (s) =>
      brushSegment(s, { x: 3.5, y: 1.5 }, { x: 3.5, y: 1.5 }, 0.5, 0),
    );
    expect(prelabel.draftVersion).toBe(before + 2);
    expect([...prelabel.maskOf(1, 21)!.mask.data]).toEqual([2, 2, 1, 0, 0, 2, 2, 0]);
    // Ctrl+Z steps through the draft's painting (the saved mask has none to undo).
    expect(prelabel.stepDraft(1, 21, 'undo')).toBe(true);
    expect([...prelabel.maskOf(1, 21)!.mask.data]).toEqual([2, 2, 1, 0, 0, 2, 2, 2]);
    expect(prelabel.stepDraft(1, 21, 'redo')).toBe(true);
    expect(prelabel.stepDraft(1, 21, 'redo')).toBe(false);
    expect([...prelabel.maskOf(1, 21)!.mask.data]).toEqual([2, 2, 1, 0, 0, 2, 2, 0]);
    await vi.advanceTimersByTimeAsync(AFTER_AUTOSAVE_MS);
    expect(saves).toEqual([]);

    await prelabel.acceptMask(1, 21);
    await vi.advanceTimersByTimeAsync(AFTER_AUTOSAVE_MS);
    expect([...(saves[0]!.mask as { data: Uint8Array }).data]).toEqual([2, 2, 1, 0, 0, 2, 2, 0]);
    expect([...store.entry(1, 21).mask!.data]).toEqual([2, 2, 1, 0, 0, 2, 2, 0]);
    expect(prelabel.draftTarget(1, 21, classes)).toBeNull();
  });
});

describe('label next', () => {
  it('ranks with the chosen measure, diversity and limit, and drops an image once labelled', async () => {
    const fake = fakeClient({
      'models.labelNext': (r) => ({
        measure: r.measure ?? 'entropy',
        diversitySpace: r.diversity ? 'penultimate-layer embeddings' : null,
        considered: 3,
        picks: [10, 11].map((imageId) => ({
          imageId,
          score: 0.6,
          entropy: 0.6,
          margin: 0.2,
          top: [],
          distance: null,
          nearestImageId: null,
          reason: 'entropy 0.60',
        })),
      }),
    });
    setLoupeClient(fake);
    const next = useLabelNextStore();
    next.measure = 'margin';
    next.diversity = true;
    next.limit = 7;
    expect(await next.rank(1, RUN.runId)).toBe(true);
    expect(fake.calls[0]!.request).toEqual({
      runId: RUN.runId,
      taskId: 1,
      measure: 'margin',
      diversity: true,
      limit: 7,
    });
    expect(next.result).toMatchObject({ taskId: 1, diversitySpace: 'penultimate-layer embeddings' });
    next.drop(10);
    expect(next.result?.picks.map((p) => p.imageId)).toEqual([11]);
  });
});
