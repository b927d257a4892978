import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ReplyOf, RequestOf } from '../../../contract/index';
import { setLoupeClient } from '../client/index';
import { fakeClient } from '../testing/fake-client';
import { useReviewExplainStore } from './review-explain';

beforeEach(() => setActivePinia(createPinia()));

type Explanation = ReplyOf<'review.explain'>;
type ExplainRequest = RequestOf<'review.explain'>;

function explanationOf(r: ExplainRequest): Explanation {
  return {
    runId: r.runId,
    imageId: r.imageId,
    method: r.method ?? 'gradcam',
    classIndex: r.classIndex ?? 1,
    className: r.classIndex === 0 ? 'normal' : 'lesion',
    probability: 0.8,
    frame: 0,
    heatmap: new Float32Array([r.imageId / 10, 1, 0, 0.5]),
    rows: 2,
    columns: 2,
    peak: [1, 0],
    targetLayer: 'conv_2',
    trust: r.trust ? { deletionAuc: 0.1, insertionAuc: 0.7, sanityCorrelation: 0.2, sanityPassed: true } : null,
  };
}

/** A client whose explain replies wait until the test releases them, one by one, in any order. */
function heldExplains() {
  const held: { request: ExplainRequest; release: () => void }[] = [];
  const cancelled: string[] = [];
  const ids: string[] = [];
  const client = fakeClient({
    'review.explain': (request) =>
      new Promise<Explanation>((resolve) => held.push({ request, release: () => resolve(explanationOf(request)) })),
  });
  const invoke = client.invoke.bind(client);
  client.invoke = ((channel, request, options) => {
    ids.push(options?.requestId ?? '');
    return invoke(channel, request, options);
  }) as typeof client.invoke;
  client.cancel = (id) => cancelled.push(id);
  setLoupeClient(client);
  const release = async (imageId: number, method = 'gradcam') => {
    const at = held.findIndex((h) => h.request.imageId === imageId && (h.request.method ?? 'gradcam') === method);
    held.splice(at, 1)[0]!.release();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { client, held, cancelled, ids, release };
}

describe('useReviewExplainStore', () => {
  it('shows a prefetched heatmap at once, without asking again', async () => {
    const { client, release } = heldExplains();
    const explain = useReviewExplainStore();
    const first = explain.show('run-1', 1);
    explain.prefetch('run-1', 2);
    await release(1);
    await first;
    await release(2);
    expect(explain.shown?.imageId).toBe(1);
    const calls = client.calls.length;
    const second = explain.show('run-1', 2);
    // Drawn in the same tick as the step: no round trip, no loading state.
    expect(explain.shown?.imageId).toBe(2);
    expect(explain.loading).toBe(false);
    await second;
    expect(client.calls.length).toBe(calls);
    expect(client.calls.map((c) => (c.request as ExplainRequest).imageId)).toEqual([1, 2]);
  });

  it('never draws a reply for an image no longer shown', async () => {
    const { release } = heldExplains();
    const explain = useReviewExplainStore();
    const first = explain.show('run-1', 1);
    const second = explain.show('run-1', 3);
    await release(3);
    await second;
    expect(explain.shown?.imageId).toBe(3);
    await release(1);
    await first;
    expect(explain.shown?.imageId).toBe(3);
    expect(explain.loading).toBe(false);
  });

  it('cancels a prefetch the reviewer stepped away from, and keeps the one being waited for', async () => {
    const { cancelled, ids, held } = heldExplains();
    const explain = useReviewExplainStore();
    void explain.show('run-1', 1);
    explain.prefetch('run-1', 2);
    // A jump to image 5: the prefetch of 2 is stale.
    void explain.show('run-1', 5);
    explain.prefetch('run-1', 6);
    expect(cancelled).toEqual([ids[1]]);
    // Stepping on to 6 while its prefetch is in flight waits for it rather than cancelling it.
    void explain.show('run-1', 6);
    explain.prefetch('run-1', 7);
    expect(cancelled).toEqual([ids[1]]);
    expect(held.map((h) => h.request.imageId)).toEqual([1, 2, 5, 6, 7]);
  });

  it('asks again, for the shown and the next image, when the method or the class changes', async () => {
    const { client, release } = heldExplains();
    const explain = useReviewExplainStore();
    const first = explain.show('run-1', 1);
    explain.prefetch('run-1', 2);
    await release(1);
    await first;
    const switched = explain.setMethod('gradcam++');
    // The Grad-CAM map is not left on the image as if it were Grad-CAM++.
    expect(explain.shown).toBeNull();
    await release(1, 'gradcam++');
    await switched;
    expect(explain.shown?.method).toBe('gradcam++');
    const requests = client.calls.map((c) => c.request as ExplainRequest);
    expect(requests.slice(-2)).toEqual([
      { runId: 'run-1', imageId: 1, method: 'gradcam++' },
      { runId: 'run-1', imageId: 2, method: 'gradcam++' },
    ]);
    const picked = explain.setClass(0);
    expect(client.calls.at(-2)!.request).toEqual({ runId: 'run-1', imageId: 1, method: 'gradcam++', classIndex: 0 });
    await release(1, 'gradcam++');
    await picked;
    expect(explain.shown?.className).toBe('normal');
    // Back to Grad-CAM on the predicted class: those maps were kept and show without a call for image 1.
    const calls = client.calls.length;
    await explain.setClass(null);
    await explain.setMethod('gradcam');
    expect(explain.shown).toMatchObject({ imageId: 1, method: 'gradcam', classIndex: 1 });
    expect(client.calls.slice(calls).map((c) => (c.request as ExplainRequest).imageId)).toEqual([2, 2]);
  });

  it('measures trust only when asked, for the heatmap shown', async () => {
    const { client, release } = heldExplains();
    const explain = useReviewExplainStore();
    const first = explain.show('run-1', 1);
    await release(1);
    await first;
    expect(client.calls.some((c) => (c.request as ExplainRequest).trust)).toBe(false);
    expect(explain.trust).toBeNull();
    const measuring = explain.measureTrust();
    expect(explain.measuringTrust).toBe(true);
    await release(1);
    await measuring;
    expect(client.calls.at(-1)!.request).toMatchObject({ imageId: 1, trust: true });
    expect(explain.trust?.deletionAuc).toBe(0.1);
    // Another image has no trust figures until asked; coming back shows the ones measured.
    const other = explain.show('run-1', 2);
    expect(explain.trust).toBeNull();
    await release(2);
    await other;
    await explain.show('run-1', 1);
    expect(explain.trust?.insertionAuc).toBe(0.7);
  });
});
