import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { LoupeError, type GalleryView, type VerificationReport } from '../../../contract/index';
import { setLoupeClient } from '../client/index';
import { fakeClient } from '../testing/fake-client';
import { eerPoint, rocPointAtThreshold } from './curves';
import { useModelUseStore } from '../stores/model-use';

beforeEach(() => setActivePinia(createPinia()));

const RUN = 'run-20260101-000000-abcd';
const OTHER = 'run-20260102-000000-abcd';

describe('ROC points', () => {
  // Scores of 3 same and 3 different pairs, and the ROC (thresholds decreasing) counting them gives.
  const scores = [0.9, 0.8, 0.7, 0.6, 0.4, 0.2];
  const same = [true, true, false, true, false, false];
  const thresholds = [1.9, 0.9, 0.8, 0.7, 0.6, 0.4, 0.2];
  const rates = (t: number) => ({
    far: scores.filter((s, i) => s >= t && !same[i]).length / 3,
    tar: scores.filter((s, i) => s >= t && same[i]).length / 3,
  });
  const roc = { fpr: thresholds.map((t) => rates(t).far), tpr: thresholds.map((t) => rates(t).tar), thresholds };

  it('reads FAR and TAR at a threshold as counting the pairs at score ≥ it does', () => {
    for (const t of [0.95, 0.9, 0.85, 0.75, 0.65, 0.6, 0.5, 0.3, 0.2, 0.1, -1]) {
      const point = rocPointAtThreshold(roc, t);
      expect([point.far, point.tar], `threshold ${t}`).toEqual([rates(t).far, rates(t).tar]);
    }
    expect(rocPointAtThreshold(roc, 0.8).exact).toBe(true);
    expect(rocPointAtThreshold(roc, 0.85).exact).toBe(false);
  });

  it('puts the EER point where FAR = FRR', () => {
    const report = { eer: 0.25, eerThreshold: 0.5 } as VerificationReport;
    const point = eerPoint(report)!;
    expect(point.x).toBe(0.25);
    expect(1 - point.y).toBe(point.x);
    expect(point.name).toBe('EER 0.250');
    expect(eerPoint({ ...report, eer: null })).toBeNull();
  });
});

const view = (ids: number[]): GalleryView => ({
  runId: RUN,
  threshold: 0.6,
  references: ids.map((id) => ({
    id: `image-${id}`,
    label: `${id}.png`,
    enrolledAt: '2026-01-01T00:00:00Z',
    imageId: id,
  })),
});

describe('model use store', () => {
  it('compares a pair at the model’s threshold, then at one the user tries', async () => {
    const client = fakeClient({
      'models.comparePair': (r) => {
        const threshold = r.threshold ?? 0.6;
        return {
          imageA: r.imageA,
          imageB: r.imageB,
          score: 0.5,
          distance: Math.sqrt(2 - 2 * 0.5),
          same: 0.5 >= threshold,
          threshold,
          targetFar: 0.01,
        };
      },
    });
    setLoupeClient(client);
    const models = useModelUseStore();
    models.show(RUN);
    models.pick('a', 3);
    expect(await models.compare()).toBeNull();
    models.pick('b', 4);
    expect((await models.compare())?.same).toBe(false);
    expect(client.calls[0]!.request).toEqual({ runId: RUN, imageA: 3, imageB: 4 });
    models.threshold = 0.4;
    expect((await models.compare())?.same).toBe(true);
    expect(client.calls[1]!.request).toEqual({ runId: RUN, imageA: 3, imageB: 4, threshold: 0.4 });
    // Another run starts afresh.
    models.show(OTHER);
    expect([models.imageA, models.imageB, models.threshold, models.comparison]).toEqual([null, null, null, null]);
  });

  it('enrols with progress, removes references and queries the gallery', async () => {
    const enrolled: number[] = [];
    const client = fakeClient({
      'models.gallery': () => view(enrolled),
      'models.enrol': () => view(enrolled),
      'models.removeReferences': (r) => {
        for (const id of r.ids) enrolled.splice(enrolled.indexOf(Number(id.slice('image-'.length))), 1);
        return view(enrolled);
      },
      'models.query': (r) => ({
        imageId: r.imageId,
        threshold: 0.6,
        matches: [{ id: 'image-1', label: '1.png', score: 0.9, distance: Math.sqrt(0.2), same: true, imageId: 1 }],
      }),
    });
    // The fake answers enrol only after reporting progress, as the service does.
    const progressSeen: { done: number; total: number }[] = [];
    const invoke = client.invoke.bind(client);
    client.invoke = (async (
      channel: string,
      request: never,
      options?: { onProgress?: (p: { done: number; total: number }) => void },
    ) => {
      if (channel === 'models.enrol') {
        enrolled.push(1, 2);
        options?.onProgress?.({ done: 1, total: 2 });
        progressSeen.push({ ...models.enrolling! });
      }
      return invoke(channel as never, request, options as never);
    }) as typeof client.invoke;
    setLoupeClient(client);
    const models = useModelUseStore();
    models.show(RUN);
    await models.loadGallery();
    expect(models.gallery?.references).toEqual([]);
    expect(await models.enrol([1, 2])).toBe(true);
    expect(progressSeen).toEqual([{ done: 1, total: 2 }]);
    expect(models.enrolling).toBeNull();
    expect(models.gallery?.references.map((r) => r.imageId)).toEqual([1, 2]);
    expect(client.calls.find((c) => c.channel === 'models.enrol')!.request).toEqual({
      runId: RUN,
      references: [{ imageId: 1 }, { imageId: 2 }],
    });
    await models.query(5, 3);
    expect(client.calls.at(-1)!.request).toEqual({ runId: RUN, imageId: 5, k: 3 });
    expect(models.queried?.matches[0]).toMatchObject({ imageId: 1, same: true });
    await models.removeReferences(['image-2']);
    expect(models.gallery?.references.map((r) => r.imageId)).toEqual([1]);
    // The matches named a reference that may be gone: they are asked for again.
    expect(models.queried).toBeNull();
    // A label the user typed names every reference of that enrolment.
    await models.enrol([3], '  golden part 7731 ');
    expect(client.calls.filter((c) => c.channel === 'models.enrol').at(-1)!.request).toEqual({
      runId: RUN,
      references: [{ imageId: 3, label: 'golden part 7731' }],
    });
  });

  it('enrols a folder’s files, then shows the gallery as it now is and the files it could not enrol', async () => {
    const files = ['/refs/part-1/front.png', '/refs/part-2/front.png'];
    const listed: GalleryView['references'] = [];
    const client = fakeClient({
      'batch.galleryEnrol': (r) => {
        listed.push({ id: files[0]!, label: 'part-1', enrolledAt: '2026-01-01T00:00:00Z', imageId: null });
        return {
          gallery: { modelDir: '/run/model', threshold: 0.6, references: listed },
          enrolled: 1,
          failures: [{ path: `${r.inputs[0]}/part-2/front.png`, reason: 'Not an image Loupe reads.' }],
        };
      },
      'models.gallery': () => ({ runId: RUN, threshold: 0.6, references: listed }),
    });
    setLoupeClient(client);
    const models = useModelUseStore();
    models.show(RUN);
    expect(await models.enrolFiles(['/refs'], 'folder')).toBe(true);
    expect(client.calls[0]!.request).toEqual({ model: { runId: RUN }, inputs: ['/refs'], label: 'folder' });
    expect(models.gallery?.references.map((r) => [r.id, r.label])).toEqual([[files[0], 'part-1']]);
    expect(models.enrolFailures).toEqual([{ path: files[1], reason: 'Not an image Loupe reads.' }]);
    expect(models.enrolling).toBeNull();
    // Another run does not show this run's failures.
    models.show(OTHER);
    expect(models.enrolFailures).toEqual([]);
  });

  it('shows a refusal, and drops a reply for a run no longer shown', async () => {
    let answer: (v: GalleryView) => void = () => {};
    setLoupeClient(
      fakeClient({
        'models.gallery': (r) =>
          r.runId === RUN
            ? new Promise<GalleryView>((resolve) => (answer = resolve))
            : Promise.reject(
                new LoupeError(
                  'INVALID_REQUEST',
                  `Run ${OTHER} trained a detection model; this needs a verification model.`,
                ),
              ),
      }),
    );
    const models = useModelUseStore();
    models.show(RUN);
    const pending = models.loadGallery();
    models.show(OTHER);
    answer(view([1]));
    await pending;
    expect(models.gallery).toBeNull();
    await models.loadGallery();
    expect(models.error).toMatch(/needs a verification model/);
  });
});
