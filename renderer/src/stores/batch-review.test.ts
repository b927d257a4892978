import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { setLoupeClient } from '../client/index';
import { fakeClient } from '../testing/fake-client';
import { job, results, RUN, RUN_ID } from '../testing/batch-fixtures';
import { useBatchStore } from './batch';
import { picksOf, useBatchReviewStore } from './batch-review';
import { useReviewStore } from './review';

beforeEach(() => setActivePinia(createPinia()));

/** The Review queue the services build (its contents are Review's business, not these tests'). */
const QUEUE = {
  runId: RUN_ID,
  taskId: 5,
  taskName: 'Lesion',
  classes: [],
  weightsSha256: 'a'.repeat(64),
  items: [],
  leftOut: 0,
};

/** A client with a completed classification batch of RUN, and what Review asks for. */
const reviewClient = (extra: Parameters<typeof fakeClient>[0] = {}) =>
  fakeClient({
    'training.runs': () => ({ runs: [RUN] }),
    'batch.jobs': () => ({ jobs: [job({ state: 'completed', active: false })] }),
    'batch.results': () => results(),
    'labels.tasks': () => ({ tasks: [] }),
    'review.settings': () => ({ reviewer: '', isDefault: true }),
    'review.queue': () => QUEUE,
    ...extra,
  });

describe('sending batch results to Review', () => {
  it('sends images to Review as a queue of the job’s run', async () => {
    const client = reviewClient();
    setLoupeClient(client);
    const batch = useBatchStore();
    await batch.hydrate('/ws');
    expect(await useBatchReviewStore().send({ imageIds: [3, 1], outside: [] })).toBe(true);
    expect(client.calls.find((c) => c.channel === 'review.queue')?.request).toMatchObject({
      runId: RUN_ID,
      source: { kind: 'images', imageIds: [3, 1] },
    });
    expect(client.calls.some((c) => c.channel === 'imaging.import')).toBe(false);
    expect(useReviewStore().queue).toEqual(QUEUE);
  });

  it('imports the ticked files the workspace lacks, then queues them with the rest', async () => {
    const client = reviewClient({
      'imaging.import': () => ({
        imported: 1,
        duplicates: 1,
        skipped: 0,
        failed: 1,
        cancelled: false,
        files: [
          { path: '/scans/new.png', status: 'imported', imageId: 9 },
          { path: '/scans/copy.png', status: 'duplicate', imageId: 3 },
          { path: '/scans/broken.png', status: 'failed', message: 'not an image' },
        ],
      }),
    });
    setLoupeClient(client);
    const batch = useBatchStore();
    await batch.hydrate('/ws');
    batch.toggle({ path: '/ws-images/a.png', imageId: 3 });
    for (const path of ['/scans/new.png', '/scans/copy.png', '/scans/broken.png'])
      batch.toggle({ path, imageId: null });
    batch.toggle({ path: '/scans/copy.png', imageId: null });
    batch.toggle({ path: '/scans/copy.png', imageId: null });
    expect(batch.selected).toHaveLength(4);
    const toReview = useBatchReviewStore();
    expect(await toReview.send(picksOf(batch.selected))).toBe(true);
    expect(client.calls.find((c) => c.channel === 'imaging.import')?.request).toEqual({
      // Untick and tick again: the file goes to the end, once.
      paths: ['/scans/new.png', '/scans/broken.png', '/scans/copy.png'],
    });
    // The copy is image 3 already: once in the queue. The broken file is named in the message.
    expect(client.calls.find((c) => c.channel === 'review.queue')?.request).toMatchObject({
      source: { kind: 'images', imageIds: [3, 9] },
    });
    expect(toReview.error).toBe(
      '1 of the files could not be imported, so they are not in the queue: /scans/broken.png: not an image.',
    );
    expect(toReview.importing).toBeNull();
  });

  it('has no Review for a model folder', async () => {
    const client = reviewClient({ 'batch.jobs': () => ({ jobs: [job({ model: { dir: '/models/m' } })] }) });
    setLoupeClient(client);
    const batch = useBatchStore();
    await batch.hydrate('/ws');
    expect(batch.reviewRun).toBeNull();
    expect(await useBatchReviewStore().send({ imageIds: [1], outside: ['/scans/a.png'] })).toBe(false);
    // Nothing is imported for a queue that cannot be built.
    expect(client.calls.some((c) => c.channel === 'imaging.import')).toBe(false);
  });
});
