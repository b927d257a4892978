import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { LoupeError, type RunSummary } from '../../../contract/index';
import { setLoupeClient } from '../client/index';
import { fakeClient } from '../testing/fake-client';
import { useBoxProposalsStore } from './box-proposals';
import { useDraftBoxesStore } from './draft-boxes';

beforeEach(() => setActivePinia(createPinia()));

const run = (runId: string, over: Partial<RunSummary>): RunSummary => ({
  runId,
  taskId: 1,
  taskName: 'Parts',
  kind: 'detection',
  state: 'completed',
  architecture: 'centernet',
  epochsDone: 2,
  epochs: 2,
  best: null,
  test: { metric: 'mAP50', value: 0.8 },
  threads: 1,
  error: null,
  active: false,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  ...over,
});

const RUNS = [
  run('run-20260103-000000-0003', { taskId: 2 }),
  run('run-20260102-000000-0002', { state: 'running', active: true }),
  run('run-20260101-000000-0001', {}),
  run('run-20260101-000000-000c', { kind: 'classification' }),
];

describe('box proposals', () => {
  it("lists completed detection runs, the task's own first, and puts a run's boxes in as scored drafts of that image", async () => {
    const client = fakeClient({
      'training.runs': () => ({ runs: RUNS }),
      'models.proposeBoxes': (r) => ({
        imageId: r.imageId,
        boxes: [{ classId: 4, x1: 1, y1: 2, x2: 11, y2: 12, score: 0.75 }],
        scoreThreshold: r.scoreThreshold ?? 0.3,
        unmatchedClasses: [{ className: 'scratch', boxes: 2 }],
      }),
    });
    setLoupeClient(client);
    const proposals = useBoxProposalsStore();
    const drafts = useDraftBoxesStore();
    await proposals.load(1);
    expect(proposals.runs.map((r) => r.runId)).toEqual(['run-20260101-000000-0001', 'run-20260103-000000-0003']);
    expect(proposals.runId).toBe('run-20260101-000000-0001');

    drafts.setDraftBoxes(1, 10, [{ classId: 4, x1: 0, y1: 0, x2: 5, y2: 5, score: 0.2 }]);
    expect(await proposals.propose(1, 10)).toBe(1);
    expect(client.calls.at(-1)!.request).toEqual({ runId: 'run-20260101-000000-0001', taskId: 1, imageId: 10 });
    // A new proposal replaces the image's drafts; other images keep theirs.
    expect(drafts.draftsOf(1, 10)).toEqual([{ classId: 4, x1: 1, y1: 2, x2: 11, y2: 12, score: 0.75 }]);
    expect(proposals.outcome).toEqual({
      imageId: 10,
      boxes: 1,
      scoreThreshold: 0.3,
      unmatchedClasses: [{ className: 'scratch', boxes: 2 }],
    });

    proposals.scoreThreshold = 0.05;
    await proposals.propose(1, 11);
    expect(client.calls.at(-1)!.request).toMatchObject({ imageId: 11, scoreThreshold: 0.05 });
    expect(proposals.outcome?.scoreThreshold).toBe(0.05);
  });

  it('lists a detection run that completes while the labeling view is open', async () => {
    let runs = RUNS.slice(1);
    const client = fakeClient({ 'training.runs': () => ({ runs }) });
    setLoupeClient(client);
    const proposals = useBoxProposalsStore();
    await proposals.load(1);
    expect(proposals.runs.map((r) => r.runId)).toEqual(['run-20260101-000000-0001']);
    const finished = run('run-20260104-000000-0004', {});
    runs = [finished, ...runs];
    client.emit('training.changed', { workspace: '/ws', run: finished, runId: finished.runId });
    await expect
      .poll(() => proposals.runs.map((r) => r.runId))
      .toEqual(['run-20260104-000000-0004', 'run-20260101-000000-0001']);
  });

  it('shows the service’s refusal and leaves the drafts as they were', async () => {
    setLoupeClient(
      fakeClient({
        'training.runs': () => ({ runs: RUNS }),
        'models.proposeBoxes': () => {
          throw new LoupeError(
            'INVALID_REQUEST',
            'Run run-20260101-000000-0001 has no model yet; only a completed run’s model can be used.',
          );
        },
      }),
    );
    const proposals = useBoxProposalsStore();
    const drafts = useDraftBoxesStore();
    await proposals.load(1);
    drafts.setDraftBoxes(1, 10, [{ classId: 4, x1: 0, y1: 0, x2: 5, y2: 5 }]);
    expect(await proposals.propose(1, 10)).toBeNull();
    expect(proposals.error).toMatch(/has no model yet/);
    expect(proposals.busy).toBe(false);
    expect(drafts.draftsOf(1, 10)).toHaveLength(1);
  });

  it('proposes nothing without a completed detection run', async () => {
    const client = fakeClient({ 'training.runs': () => ({ runs: [RUNS[1]!, RUNS[3]!] }) });
    setLoupeClient(client);
    const proposals = useBoxProposalsStore();
    await proposals.load(1);
    expect(proposals.runId).toBeNull();
    expect(await proposals.propose(1, 10)).toBeNull();
    expect(client.calls.map((c) => c.channel)).toEqual(['training.runs']);
  });
});
