import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { MaskVerdict, ReplyOf, RequestOf, RunSummary } from '../../../contract/index';
import { setLoupeClient } from '../client/index';
import { brushSegment } from '../labeling/mask-tools';
import { applyToMask } from '../labeling/mask-target';
import { fakeClient } from '../testing/fake-client';
import { useMaskReviewStore } from './mask-review';
import { useMaskTrustStore } from './mask-trust';

beforeEach(() => setActivePinia(createPinia()));

const RUN = {
  runId: 'run-20260101-000000-0003',
  taskId: 1,
  taskName: 'Outline',
  kind: 'segmentation',
  state: 'completed',
} as RunSummary;
const CLASSES = [{ id: 5, taskId: 1, name: 'lesion', color: '#ff0000', position: 0, maskIndex: 1 }];
const TRUST = { deletionAuc: 0.2, insertionAuc: 0.7, sanityCorrelation: 0.1, sanityPassed: true };
/** The model's mask on every image: 4×2, the lesion in the middle of the first row. */
const PREDICTED = [0, 1, 1, 0, 0, 0, 0, 0];

function client() {
  const records: RequestOf<'reviewMasks.record'>[] = [];
  let nextId = 1;
  const verdict = (r: RequestOf<'reviewMasks.record'>): MaskVerdict =>
    ({
      id: nextId++,
      imageId: r.imageId,
      runId: r.runId,
      verdict: r.verdict,
      comment: r.comment ?? '',
      correctMask: r.correctMask ? { width: 4, height: 2, sha256: 'x', changedPixels: 1 } : null,
      correctionRevision: null,
    }) as MaskVerdict;
  const fake = fakeClient({
    'training.runs': () => ({ runs: [RUN] }),
    'labels.tasks': () => ({
      tasks: [
        {
          id: 1,
          name: 'Outline',
          kind: 'segmentation',
          multiLabel: false,
          frames: 'first',
          images: { kind: 'all' },
          classes: CLASSES,
          createdAt: '',
        },
      ],
    }),
    'reviewMasks.queue': (r) =>
      ({
        runId: r.runId,
        taskId: 1,
        taskName: 'Outline',
        classes: [],
        weightsSha256: 'w',
        leftOut: 0,
        items: [10, 11, 12].map((imageId) => ({
          imageId,
          fileName: `${imageId}.png`,
          meanEntropy: 0.3,
          dice: null,
          classPixels: [6, 2],
          verdict: null,
        })),
      }) as ReplyOf<'reviewMasks.queue'>,
    'reviewMasks.image': (r) =>
      ({
        runId: r.runId,
        imageId: r.imageId,
        mask: { width: 4, height: 2, data: Uint8Array.from(PREDICTED) },
        classIndex: 1,
        className: 'lesion',
        contours: [],
        meanEntropy: 0.3,
        dice: null,
        heatmap: r.method
          ? {
              method: r.method,
              values: new Float32Array(8),
              rows: 2,
              columns: 4,
              wholeImage: false,
              probability: 0.8,
              targetLayer: 'bottleneck',
              trust: r.trust ? TRUST : null,
            }
          : null,
      }) as ReplyOf<'reviewMasks.image'>,
    'reviewMasks.record': (r) => {
      records.push(r);
      return verdict(r);
    },
    'reviewMasks.applyCorrection': (r) => ({ taskId: 1, imageId: 11, revision: r.verdictId + 100 }),
  });
  setLoupeClient(fake);
  return { fake, records };
}

async function queueShown() {
  const review = useMaskReviewStore();
  await review.hydrate();
  await review.buildQueue();
  await review.show();
  return review;
}

describe('the segmentation review store', () => {
  it('agrees and moves on; D, painting and Enter record a disagree with the painted mask and write it as the label', async () => {
    const { fake, records } = client();
    const review = await queueShown();
    await review.judge('agree');
    expect(records.map((r) => [r.imageId, r.verdict, r.correctMask])).toEqual([[10, 'agree', undefined]]);
    expect(review.current?.imageId).toBe(11);
    await review.show();

    review.startCorrection();
    applyToMask(review.target!, (s) => brushSegment(s, { x: 0.5, y: 1.5 }, { x: 0.5, y: 1.5 }, 0.5, 1));
    // Painted, not recorded.
    expect(records).toHaveLength(1);
    await review.confirmCorrection();
    expect(records[1]).toMatchObject({ imageId: 11, verdict: 'disagree' });
    expect([...records[1]!.correctMask!.data]).toEqual([0, 1, 1, 0, 1, 0, 0, 0]);
    expect(fake.calls.filter((c) => c.channel === 'reviewMasks.applyCorrection')).toHaveLength(1);
    expect(review.queue!.items[1]!.verdict?.correctionRevision).toBe(102);
    expect(review.correction).toBeNull();
    expect(review.current?.imageId).toBe(12);
  });

  it('records a disagree without a mask when the painting was undone, and nothing when the correction is cancelled', async () => {
    const { fake, records } = client();
    const review = await queueShown();
    review.startCorrection();
    applyToMask(review.target!, (s) => brushSegment(s, { x: 3.5, y: 0.5 }, { x: 3.5, y: 0.5 }, 0.5, 1));
    review.cancelCorrection();
    expect(records).toEqual([]);

    review.startCorrection();
    applyToMask(review.target!, (s) => brushSegment(s, { x: 3.5, y: 0.5 }, { x: 3.5, y: 0.5 }, 0.5, 1));
    review.stepCorrection('undo');
    expect([...review.correction!.data]).toEqual(PREDICTED);
    await review.confirmCorrection();
    expect(records.map((r) => [r.verdict, r.correctMask])).toEqual([['disagree', undefined]]);
    expect(fake.calls.some((c) => c.channel === 'reviewMasks.applyCorrection')).toBe(false);
  });
  it('asks for the contours and heatmap of the class chosen, and of the largest predicted class by default', async () => {
    const { fake } = client();
    const review = await queueShown();
    review.classIndex = 2;
    await review.show();
    const asked = fake.calls.filter((c) => c.channel === 'reviewMasks.image').map((c) => c.request);
    expect(asked).toEqual([
      { runId: RUN.runId, imageId: 10, method: 'gradcam' },
      { runId: RUN.runId, imageId: 10, method: 'gradcam', classIndex: 2 },
    ]);
  });

  it('asks for the heatmap with the method picked, and measures its trust when asked, for that heatmap only', async () => {
    const { fake } = client();
    const review = await queueShown();
    const trust = useMaskTrustStore();
    await review.setMethod('layercam');
    expect(review.shown?.heatmap?.method).toBe('layercam');
    expect(trust.trust).toBeNull();
    await trust.measure();
    const asked = fake.calls.filter((c) => c.channel === 'reviewMasks.image').map((c) => c.request);
    expect(asked.slice(-2)).toEqual([
      { runId: RUN.runId, imageId: 10, method: 'layercam' },
      { runId: RUN.runId, imageId: 10, classIndex: 1, method: 'layercam', trust: true },
    ]);
    expect(trust.trust).toEqual(TRUST);
    // Another method's heatmap has not been measured; back to LayerCAM, its measure returns.
    await review.setMethod('gradcam++');
    expect(trust.trust).toBeNull();
    await review.setMethod('layercam');
    expect(trust.trust).toEqual(TRUST);
    review.select(1);
    await review.show();
    expect(trust.trust).toBeNull();
  });
});
