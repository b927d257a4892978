import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { LoupeError, type ReplyOf, type RequestOf } from '../../../contract/index';
import { setLoupeClient } from '../client/index';
import { fakeClient } from '../testing/fake-client';
import { useRescoreStore } from '../stores/rescore';

beforeEach(() => setActivePinia(createPinia()));

const RUN = 'run-20260101-000000-abcd';
const WARNING = "3 images of the current test split were in the run's train split; left out of the scores.";

function reply(request: RequestOf<'training.evaluate'>): ReplyOf<'training.evaluate'> {
  const current = request.splitSource === 'current';
  return {
    runId: request.runId,
    split: 'test',
    report: { task: 'classification', split: 'test', count: 2 } as ReplyOf<'training.evaluate'>['report'],
    predictions: [],
    dataset: {} as ReplyOf<'training.evaluate'>['dataset'],
    leakage: {
      splitSource: request.splitSource ?? 'run',
      trainedOnLeftOut: current ? 3 : 0,
      noLongerInDataset: 0,
      sameGroupAsTrained: 0,
      warnings: current ? [WARNING] : [],
    },
  };
}

describe('scoring a run again', () => {
  it("asks for the run's own split or the current one, and keeps the warnings of what was left out", async () => {
    const client = fakeClient({ 'training.evaluate': reply });
    setLoupeClient(client);
    const store = useRescoreStore();
    await store.score(RUN, 'run');
    expect(client.calls.at(-1)!.request).toEqual({ runId: RUN, split: 'test', splitSource: 'run' });
    expect(store.result!.leakage.warnings).toEqual([]);
    await store.score(RUN, 'current');
    expect(client.calls.at(-1)!.request).toEqual({ runId: RUN, split: 'test', splitSource: 'current' });
    expect(store.result!.leakage).toMatchObject({ trainedOnLeftOut: 3, warnings: [WARNING] });
    expect(store.progress).toBeNull();
  });

  it('shows why a scoring failed, and forgets the scores when another run is shown', async () => {
    setLoupeClient(
      fakeClient({
        'training.evaluate': () => {
          throw new LoupeError('INVALID_REQUEST', '“Parts” has no labelled image to score in its current test split.');
        },
      }),
    );
    const store = useRescoreStore();
    await store.score(RUN, 'current');
    expect(store.error).toMatch(/no labelled image to score/);
    expect(store.result).toBeNull();
    store.clear();
    expect(store.error).toBeNull();
  });
});
