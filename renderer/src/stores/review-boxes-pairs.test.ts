import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { FramePixels, ReplyOf, RequestOf } from '../../../contract/index';
import { setLoupeClient } from '../client/index';
import { fakeClient } from '../testing/fake-client';
import { useReviewBoxesPairsStore } from './review-boxes-pairs';

beforeEach(() => setActivePinia(createPinia()));

const items: ReplyOf<'explain.reviewItems'> = {
  runId: 'run-d',
  kind: 'detection',
  taskName: 'Shapes',
  classes: ['circle', 'square'],
  threshold: null,
  images: [
    { imageId: 1, fileName: 'a.png' },
    { imageId: 2, fileName: 'b.png' },
  ],
  pairs: [],
};

function boxesOf(r: RequestOf<'explain.boxes'>, count: number): ReplyOf<'explain.boxes'> {
  const box = (k: number) => ({
    imageId: r.imageId,
    heatmap: new Float32Array([k, 1, 0, 0]),
    rows: 2,
    columns: 2,
    heatmapPeak: [1, 0] as [number, number],
    box: [0, 0, 1, 1] as [number, number, number, number],
    score: 0.9 - k / 10,
    classIndex: 0,
    className: 'circle',
    peak: [0, 0] as [number, number],
  });
  return {
    runId: r.runId,
    imageId: r.imageId,
    method: r.method ?? 'gradcam',
    targetLayer: 'relu_3',
    boxes: Array.from({ length: count }, (_, k) => box(k)),
    boxesLeftOut: 0,
  };
}

const pixels = (id: number) => ({ id, rows: 2, columns: 2 }) as unknown as FramePixels;

describe('useReviewBoxesPairsStore', () => {
  it('drops the reply for an image no longer shown, and Tab wraps round the boxes', async () => {
    const held: { imageId: number; release: () => void }[] = [];
    setLoupeClient(
      fakeClient({
        'explain.reviewItems': () => items,
        'imaging.frame': (r) => pixels(r.id),
        'explain.boxes': (r) =>
          new Promise((resolve) =>
            held.push({ imageId: r.imageId, release: () => resolve(boxesOf(r, r.imageId + 1)) }),
          ),
      }),
    );
    const store = useReviewBoxesPairsStore();
    store.runId = 'run-d';
    const loading = store.load();
    await new Promise((r) => setTimeout(r, 0));
    const second = store.show(1);
    held.find((h) => h.imageId === 2)!.release();
    await second;
    held.find((h) => h.imageId === 1)!.release();
    await loading;
    // The first image's late reply does not replace the second's.
    expect(store.boxes?.imageId).toBe(2);
    expect(store.index).toBe(1);
    expect(store.boxes?.boxes.length).toBe(3);
    store.stepBox(-1);
    expect(store.selectedBox).toBe(2);
    store.stepBox(1);
    store.stepBox(1);
    expect(store.selectedBox).toBe(1);
  });
});
