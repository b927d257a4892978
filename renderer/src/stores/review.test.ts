import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ReplyOf, ReviewQueueItem, ReviewVerdict } from '../../../contract/index';
import { setLoupeClient } from '../client/index';
import { fakeClient } from '../testing/fake-client';
import { useReviewStore } from './review';
import { useReviewExplainStore } from './review-explain';
import { useViewerStore } from './viewer';

beforeEach(() => setActivePinia(createPinia()));

const prediction = {
  classes: ['normal', 'lesion'],
  probabilities: [0.3, 0.7],
  predicted: 1,
  predictedClass: 'lesion',
  temperature: null,
};
const item = (imageId: number): ReviewQueueItem => ({
  imageId,
  fileName: `${imageId}.png`,
  prediction,
  entropy: 0.6,
  margin: 0.4,
  score: 0.7,
  labelClassIds: [11],
  disagrees: true,
  verdict: null,
});
const QUEUE: ReplyOf<'review.queue'> = {
  runId: 'run-1',
  taskId: 5,
  taskName: 'Lesion',
  classes: [
    { name: 'normal', classId: 11 },
    { name: 'lesion', classId: 12 },
  ],
  weightsSha256: 'a'.repeat(64),
  items: [item(1), item(2), item(3)],
  leftOut: 0,
};
const TASK = {
  id: 5,
  name: 'Lesion',
  kind: 'classification' as const,
  multiLabel: false,
  createdAt: '',
  classes: [11, 12].map((id, position) => ({
    id,
    taskId: 5,
    name: id === 11 ? 'normal' : 'lesion',
    color: '#ffffff',
    position,
    maskIndex: null,
  })),
};
const RUN = {
  runId: 'run-1',
  taskId: 5,
  taskName: 'Lesion',
  kind: 'classification' as const,
  state: 'completed' as const,
  architecture: 'small-cnn',
  epochsDone: 1,
  epochs: 1,
  best: null,
  test: null,
  threads: 1,
  error: null,
  active: false,
  createdAt: '',
  updatedAt: '',
};

function verdictFor(
  request: {
    imageId: number;
    verdict: ReviewVerdict['verdict'];
    correctClassId?: number | undefined;
    comment?: string | undefined;
  },
  id: number,
): ReviewVerdict {
  return {
    id,
    reviewer: 'ada',
    createdAt: '',
    imageId: request.imageId,
    imageSha256: '',
    imagePath: '',
    runId: 'run-1',
    weightsSha256: '',
    taskId: 5,
    prediction,
    method: 'prediction',
    verdict: request.verdict,
    correctClass: request.correctClassId === 11 ? 'normal' : request.correctClassId === 12 ? 'lesion' : null,
    comment: request.comment ?? '',
    correctionRevision: null,
  };
}

async function reviewing() {
  let next = 1;
  const client = fakeClient({
    'training.runs': () => ({ runs: [RUN] }) as never,
    'labels.tasks': () => ({ tasks: [TASK] }) as never,
    'review.settings': () => ({ reviewer: 'ada', isDefault: true }),
    'review.queue': () => structuredClone(QUEUE),
    'review.record': (r) => verdictFor(r, next++),
    'review.applyCorrection': (r) =>
      ({ taskId: 5, imageId: 2, revision: 4, classIds: [11], verdictId: r.verdictId }) as never,
  });
  setLoupeClient(client);
  const review = useReviewStore();
  await review.hydrate();
  await review.buildQueue();
  return { client, review };
}

describe('useReviewStore', () => {
  it('records a verdict with the comment and moves to the next image', async () => {
    const { client, review } = await reviewing();
    expect(review.runId).toBe('run-1');
    review.comment = 'clear case';
    await review.record('agree');
    expect(client.calls.at(-1)).toEqual({
      channel: 'review.record',
      request: { runId: 'run-1', imageId: 1, verdict: 'agree', comment: 'clear case' },
    });
    expect(review.queue!.items[0]!.verdict!.verdict).toBe('agree');
    expect(review.index).toBe(1);
    expect(review.comment).toBe('');
  });

  it('records the heatmap method when a heatmap of the image was shown', async () => {
    const { client, review } = await reviewing();
    const explain = useReviewExplainStore();
    explain.shown = { imageId: 1, method: 'gradcam++' } as never;
    await review.record('unsure');
    expect(client.calls.at(-1)!.request).toMatchObject({ imageId: 1, method: 'gradcam++' });
    // Hidden with H: the reviewer saw the prediction alone.
    explain.visible = false;
    explain.shown = { imageId: 2, method: 'gradcam++' } as never;
    await review.record('agree');
    expect(client.calls.at(-1)!.request).not.toHaveProperty('method');
  });

  it('disagrees with the k-th class, offers the correction, and writes it only when confirmed', async () => {
    const { client, review } = await reviewing();
    review.select(1);
    review.pickingClass = true;
    await review.disagreeWith(1);
    expect(client.calls.at(-1)!.request).toMatchObject({ imageId: 2, verdict: 'disagree', correctClassId: 11 });
    expect(review.correction?.className).toBe('normal');
    expect(review.index).toBe(1);
    await review.confirmCorrection();
    expect(client.calls.at(-1)).toEqual({ channel: 'review.applyCorrection', request: { verdictId: 1 } });
    expect(review.queue!.items[1]!.labelClassIds).toEqual([11]);
    expect(review.queue!.items[1]!.verdict!.correctionRevision).toBe(4);
    expect(review.index).toBe(2);
  });

  it('declining a correction writes no label', async () => {
    const { client, review } = await reviewing();
    await review.disagreeWith(1);
    review.declineCorrection();
    expect(client.calls.some((c) => c.channel === 'review.applyCorrection')).toBe(false);
    expect(review.index).toBe(1);
  });
});

describe('useViewerStore prefetch', () => {
  it('opens a prefetched image without asking the services again', async () => {
    const frame = {
      id: 2,
      frame: 0,
      rows: 2,
      columns: 2,
      samplesPerPixel: 1,
      photometricInterpretation: 'MONOCHROME2',
      rescaleSlope: 1,
      rescaleIntercept: 0,
      modalityUnit: '',
      windows: [],
      minValue: 0,
      maxValue: 4000,
      data: new Uint16Array(4),
    };
    const client = fakeClient({
      'imaging.get': (r) => ({ record: { id: r.id }, info: { frames: 1 } }) as never,
      'imaging.frame': () => frame as never,
    });
    setLoupeClient(client);
    const viewer = useViewerStore();
    viewer.prefetch(2);
    await viewer.open(2);
    expect(client.calls.map((c) => c.channel)).toEqual(['imaging.get', 'imaging.frame']);
    expect(viewer.pixels).toBe(frame);
    expect(viewer.record?.id).toBe(2);
    expect(viewer.window).toEqual({ center: 2000, width: 4000 });
  });
});
