import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ReplyOf, RequestOf } from '../../../contract/index';
import { setLoupeClient } from '../client/index';
import { fakeClient } from '../testing/fake-client';
import { useReviewLayersStore } from './review-layers';

beforeEach(() => setActivePinia(createPinia()));

/** Two 2 × 2 channels of a 4 × 4 input, on a 4 × 4 frame. */
function mapsOf(r: RequestOf<'review.featureMaps'>): ReplyOf<'review.featureMaps'> {
  return {
    runId: r.runId,
    imageId: r.imageId,
    layers: ['conv_1', 'conv_2'],
    layer: r.layer ?? 'conv_2',
    count: 2,
    total: 16,
    rows: 2,
    columns: 2,
    activations: Float32Array.of(0, 1, 2, 3, 5, 5, 5, 5),
    input: { rows: 4, columns: 4 },
    placement: { top: 0, left: 0, height: 4, width: 4 },
    filters: null,
    frame: 0,
    frameRows: 4,
    frameColumns: 4,
  };
}

describe('useReviewLayersStore', () => {
  it('asks nothing while closed, fetches on opening and per image, and lays a pinned channel on the frame', async () => {
    const client = fakeClient({ 'review.featureMaps': (r) => mapsOf(r) });
    setLoupeClient(client);
    const layers = useReviewLayersStore();
    await layers.show('run-1', 7);
    expect(client.calls).toHaveLength(0);
    await layers.toggle();
    expect(client.calls.map((c) => c.request)).toEqual([{ runId: 'run-1', imageId: 7 }]);
    expect(layers.shown?.imageId).toBe(7);
    expect(layers.overlay).toBeNull();
    layers.pin(0);
    expect(layers.overlay).toMatchObject({ imageId: 7, frame: 0, rows: 4, columns: 4, method: 'feature map' });
    expect(layers.overlay!.heatmap[15]).toBeCloseTo(1, 6);
    await layers.setLayer('conv_1');
    expect(client.calls.at(-1)!.request).toEqual({ runId: 'run-1', imageId: 7, layer: 'conv_1' });
    expect(layers.pinned).toBeNull();
    layers.pin(1);
    layers.pin(1);
    expect(layers.pinned).toBeNull();
    await layers.show('run-1', 8);
    expect(layers.shown?.imageId).toBe(8);
    await layers.toggle();
    expect(layers.overlay).toBeNull();
    layers.reset();
    expect([layers.shown, layers.layer]).toEqual([null, null]);
  });

  it('shows why it failed', async () => {
    setLoupeClient(
      fakeClient({
        'review.featureMaps': () => Promise.reject(new Error('The layer "x" is not a feature map of this model.')),
      }),
    );
    const layers = useReviewLayersStore();
    await layers.show('run-1', 7);
    await layers.toggle();
    expect(layers.error).toMatch(/not a feature map/);
    expect(layers.loading).toBe(false);
  });
});
