import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../contract/index';
import { job, results, RUN, RUN_ID } from '../testing/batch-fixtures';
import { setLoupeClient } from '../client/index';
import { fakeClient } from '../testing/fake-client';
import { RESULTS_PAGE, useBatchStore } from '../stores/batch';
import { durationText } from './batch-text';

beforeEach(() => setActivePinia(createPinia()));

const RUNNING_RUN = { ...RUN, runId: 'run-20260102-000000-abcd', state: 'running' } as RunSummary;

const OLD = job({
  jobId: 'batch-20251201-000000-abcd',
  state: 'interrupted',
  active: false,
  createdAt: '2025-12-01T00:00:00Z',
});

describe('the batch store', () => {
  it('re-attaches to the running job on hydrate and shows its results', async () => {
    const client = fakeClient({
      'training.runs': () => ({ runs: [RUNNING_RUN, RUN] }),
      'batch.jobs': () => ({ jobs: [OLD, job()] }),
      'batch.results': () => results(),
    });
    setLoupeClient(client);
    const batch = useBatchStore();
    await batch.hydrate('/ws');
    expect(batch.jobId).toBe(job().jobId);
    expect(batch.results?.all).toBe(10);
    expect(client.calls.at(-1)?.request).toMatchObject({ jobId: job().jobId, offset: 0, limit: RESULTS_PAGE });
    // Only completed runs can predict.
    expect(batch.completedRuns.map((r) => r.runId)).toEqual([RUN_ID]);
    expect(batch.draft.runId).toBe(RUN_ID);
    expect(batch.reviewRun).toBe(RUN_ID);
  });

  it('follows batch.job events of its workspace and reads the results again when the job ends', async () => {
    const client = fakeClient({
      'training.runs': () => ({ runs: [RUN] }),
      'batch.jobs': () => ({ jobs: [job()] }),
      'batch.results': () => results(),
    });
    setLoupeClient(client);
    const batch = useBatchStore();
    await batch.hydrate('/ws');
    const reads = () => client.calls.filter((c) => c.channel === 'batch.results').length;
    const before = reads();
    client.emit('batch.job', { workspace: '/elsewhere', job: job({ finished: 99 }) });
    expect(batch.job?.finished).toBe(10);
    client.emit('batch.job', { workspace: '/ws', job: job({ state: 'completed', active: false, finished: 100 }) });
    expect(batch.job).toMatchObject({ state: 'completed', finished: 100 });
    expect(batch.running).toBeNull();
    expect(reads()).toBe(before + 1);
  });

  it('starts a job with the folders given and refuses a threshold that is not a number', async () => {
    const client = fakeClient({
      'training.runs': () => ({ runs: [RUN] }),
      'batch.jobs': () => ({ jobs: [] }),
      'batch.start': () => job(),
      'batch.results': () => results(),
    });
    setLoupeClient(client);
    const batch = useBatchStore();
    await batch.hydrate('/ws');
    batch.draft.inputs = [' /scans ', '', '/more'];
    batch.draft.out = '/out';
    batch.draft.threshold = 'high';
    expect(await batch.start()).toBe(false);
    expect(batch.error).toMatch(/not a number/);
    expect(client.calls.some((c) => c.channel === 'batch.start')).toBe(false);

    batch.draft.threshold = '';
    expect(await batch.start()).toBe(true);
    expect(client.calls.find((c) => c.channel === 'batch.start')?.request).toEqual({
      model: { runId: RUN_ID },
      inputs: ['/scans', '/more'],
      out: '/out',
      formats: [],
    });
    expect(batch.jobId).toBe(job().jobId);
    expect(batch.jobs).toHaveLength(1);
  });

  it("sends a classifier's heatmaps or a verification model's gallery match, only where the model's task has them", async () => {
    const VERIFY = { ...RUN, runId: 'run-20260103-000000-abcd', kind: 'verification' } as RunSummary;
    const client = fakeClient({
      'training.runs': () => ({ runs: [RUN, VERIFY] }),
      'batch.jobs': () => ({ jobs: [] }),
      'batch.start': () => job(),
      'batch.results': () => results(),
    });
    setLoupeClient(client);
    const batch = useBatchStore();
    await batch.hydrate('/ws');
    const sent = () => client.calls.filter((c) => c.channel === 'batch.start').at(-1)?.request;
    Object.assign(batch.draft, { inputs: ['/scans'], out: '/out', explain: 'gradcam', gallery: true, topK: '3' });
    expect(batch.draftTask).toBe('classification');
    expect(await batch.start()).toBe(true);
    expect(sent()).toEqual({
      model: { runId: RUN_ID },
      inputs: ['/scans'],
      out: '/out',
      formats: [],
      explain: 'gradcam',
    });

    batch.draft.runId = VERIFY.runId;
    expect(batch.draftTask).toBe('verification');
    expect(await batch.start()).toBe(true);
    expect(sent()).toMatchObject({ model: { runId: VERIFY.runId }, gallery: { k: 3 } });
    expect(sent()).not.toHaveProperty('explain');
    batch.draft.topK = '0';
    expect(await batch.start()).toBe(false);
    expect(batch.error).toBe('Keep between 1 and 100 nearest references, not "0".');

    // A model folder's task is not known here: both go, and the services refuse the one that does not fit.
    Object.assign(batch.draft, { source: 'dir', dir: '/models/m', topK: '5' });
    expect(batch.draftTask).toBeNull();
    expect(await batch.start()).toBe(true);
    expect(sent()).toMatchObject({ model: { dir: '/models/m' }, explain: 'gradcam', gallery: { k: 5 } });
  });

  it('sorts in the services: a new column sorts scores high first, the same column reverses, both from page one', async () => {
    const client = fakeClient({
      'training.runs': () => ({ runs: [RUN] }),
      'batch.jobs': () => ({ jobs: [job()] }),
      'batch.results': () => results({ matching: 1000 }),
    });
    setLoupeClient(client);
    const batch = useBatchStore();
    await batch.hydrate('/ws');
    await batch.setQuery({ offset: 300 });
    await batch.sortBy('score');
    expect(client.calls.at(-1)?.request).toMatchObject({ sort: 'score', descending: true, offset: 0 });
    await batch.sortBy('score');
    expect(client.calls.at(-1)?.request).toMatchObject({ sort: 'score', descending: false });
    await batch.sortBy('class');
    expect(client.calls.at(-1)?.request).toMatchObject({ sort: 'class', descending: false });
  });
});

describe('durations', () => {
  it('words an ETA to the second', () => {
    expect(durationText(0)).toBe('0 s');
    expect(durationText(12_400)).toBe('12 s');
    expect(durationText(250_000)).toBe('4 min 10 s');
    expect(durationText(7_500_000)).toBe('2 h 05 min');
  });
});
