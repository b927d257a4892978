/**
 * Masks per frame in the label store, against a fake server that keeps one revision per image and
 * one mask per frame, refuses a stale base revision (CONFLICT) and answers a repeated save id as a
 * duplicate, as the real one does: drawing on two frames saves each frame's own mask, neither
 * save is taken for the other, and the second is not refused as stale after the first.
 */
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LoupeError, type ImageLabels, type MaskLabel, type RequestOf } from '../../../contract/index';
import { setLoupeClient } from '../client/index';
import type { MaskStroke } from '../labeling/mask-edits';
import { fakeClient } from '../testing/fake-client';
import { useImageLabelsStore } from './image-labels';

const WIDTH = 4;
const HEIGHT = 3;
/** The autosave's delay after the last edit, and then some. */
const AUTOSAVE_WAIT_MS = 1500;

beforeEach(() => {
  vi.useFakeTimers();
  setActivePinia(createPinia());
});
afterEach(() => vi.useRealTimers());

function fakeServer() {
  const state = { revision: 1, masks: new Map<number, MaskLabel>([[1, mask(2)]]), saveIds: new Set<string>() };
  const saves: RequestOf<'labels.save'>[] = [];
  const get = (frame = 0): ImageLabels => ({
    taskId: 1,
    imageId: 10,
    revision: state.revision,
    width: WIDTH,
    height: HEIGHT,
    classIds: [],
    boxes: [],
    mask: state.masks.get(frame) ?? null,
    frame,
    maskFrames: [...state.masks.keys()].sort((a, b) => a - b),
  });
  setLoupeClient(
    fakeClient({
      'labels.get': (r) => get(r.frame),
      'labels.save': (r) => {
        saves.push(r);
        if (state.saveIds.has(r.saveId)) return { revision: state.revision, duplicate: true, savedAt: 'now' };
        if (r.baseRevision !== state.revision) throw new LoupeError('CONFLICT', 'changed elsewhere');
        if (r.mask) state.masks.set(r.frame ?? 0, r.mask);
        else state.masks.delete(r.frame ?? 0);
        state.saveIds.add(r.saveId);
        return { revision: ++state.revision, duplicate: false, savedAt: 'now' };
      },
    }),
  );
  return { state, saves };
}

const mask = (value: number): MaskLabel => ({
  width: WIDTH,
  height: HEIGHT,
  data: new Uint8Array(WIDTH * HEIGHT).fill(value),
});
/** Paints the first pixel (a span of row 0, columns 0 to 1). */
const paint = (value: number) => (s: MaskStroke) => s.paint(Int32Array.of(0, 0, 1), value);

describe('masks per frame in the label store', () => {
  it('loads each frame’s own mask and saves edits of two frames to their frames, without a conflict', async () => {
    const server = fakeServer();
    const store = useImageLabelsStore();
    const first = await store.load(1, 'segmentation', 10, 0);
    const second = await store.load(1, 'segmentation', 10, 1);
    expect(first.mask).toBeNull();
    expect(Array.from(second.mask!.data)).toEqual(Array(WIDTH * HEIGHT).fill(2));
    expect(store.maskFramesOf(1, 10)).toEqual([1]);

    store.applyMask(1, 10, paint(5), 0);
    store.applyMask(1, 10, paint(7), 1);
    expect(store.maskFramesOf(1, 10)).toEqual([0, 1]);
    await vi.advanceTimersByTimeAsync(AUTOSAVE_WAIT_MS);

    expect(store.conflicts).toEqual([]);
    expect(store.dirty).toEqual([]);
    expect(server.saves).toHaveLength(2);
    expect(new Set(server.saves.map((s) => s.saveId)).size).toBe(2);
    expect(server.state.masks.get(0)!.data[0]).toBe(5);
    expect(server.state.masks.get(1)!.data[0]).toBe(7);
    expect(server.state.masks.get(1)!.data[1]).toBe(2);
    expect(store.entry(1, 10, 0).revision).toBe(server.state.revision);
    expect(store.entry(1, 10, 1).revision).toBe(server.state.revision);

    // Undo is per frame: undoing frame 1 leaves frame 0's stroke.
    expect(store.undo(1, 10, 1)).toBe(true);
    expect(store.entry(1, 10, 1).mask!.data[0]).toBe(2);
    expect(store.entry(1, 10, 0).mask!.data[0]).toBe(5);
  });

  it('still refuses a frame’s save when the image changed elsewhere since it was loaded', async () => {
    const server = fakeServer();
    const store = useImageLabelsStore();
    await store.load(1, 'segmentation', 10, 0);
    server.state.revision++;
    store.applyMask(1, 10, paint(3), 0);
    await vi.advanceTimersByTimeAsync(AUTOSAVE_WAIT_MS);
    expect(store.conflicts.map((c) => [c.imageId, c.frame])).toEqual([[10, 0]]);
  });
});
