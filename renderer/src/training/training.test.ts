import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  LoupeError,
  trainingConfigSchema,
  type EpochRecord,
  type RunRecord,
  type RunSummary,
  type TrainingConfig,
  type TrainingProgress,
} from '../../../contract/index';
import { setLoupeClient } from '../client/index';
import { fakeClient } from '../testing/fake-client';
import { configDifferences } from './compare';
import { batchPosition, epochCurves, precisionRecall, rowShares } from './curves';
import { fineTuneOf, scratch, startingRuns } from './fine-tune';
import { useTrainingStore } from '../stores/training';

beforeEach(() => setActivePinia(createPinia()));

const config = trainingConfigSchema.parse({
  task: 'classification',
  model: { architecture: 'small-cnn' },
  preprocessing: { rows: 32, columns: 32 },
  loss: { name: 'cross-entropy' },
  epochs: 3,
});

function epoch(n: number): EpochRecord {
  return {
    epoch: n,
    learningRate: 0.001,
    trainLoss: 1 / (n + 1),
    trainMetric: 0.5 + n / 10,
    validation: { val_loss: 0.9 / (n + 1), val_accuracy: 0.6 },
    durationMs: 10,
    frozenLayers: 0,
  };
}

const summary: RunSummary = {
  runId: 'run-20260101-000000-abcd',
  taskId: 1,
  taskName: 'Lesion',
  kind: 'classification',
  state: 'running',
  architecture: 'small-cnn',
  epochsDone: 1,
  epochs: 3,
  best: null,
  test: null,
  threads: 1,
  error: null,
  active: true,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
};

const record = { task: 'classification', epochs: [epoch(0)], config } as unknown as RunRecord;

function progress(over: Partial<TrainingProgress>): TrainingProgress {
  return {
    phase: 'training',
    epoch: 1,
    epochs: 3,
    batch: 0,
    batches: 4,
    loss: 0.5,
    metric: null,
    learningRate: 0.001,
    elapsedMs: 0,
    batchesDone: 5,
    batchesTotal: 12,
    etaMs: 100,
    ...over,
  };
}

describe('curves', () => {
  it('places epochs from 1 and a batch inside its epoch', () => {
    const curves = epochCurves([epoch(0), epoch(1)], 'classification');
    expect(curves.loss[0]!.points).toEqual([
      [1, 1],
      [2, 0.5],
    ]);
    expect(curves.metric[1]!.name).toBe('val accuracy');
    expect(batchPosition(progress({ epoch: 2, batch: 1, batches: 4 }))).toBe(2.5);
    expect(curves.metric.map((c) => c.name)).not.toContain('sparsity');
  });

  it("draws a pruning run's sparsity beside its accuracy", () => {
    const curves = epochCurves(
      [
        { ...epoch(0), sparsity: 0.4 },
        { ...epoch(1), sparsity: 0.8 },
      ],
      'classification',
    );
    expect(curves.metric.find((c) => c.name === 'sparsity')?.points).toEqual([
      [1, 0.4],
      [2, 0.8],
    ]);
  });

  it('turns ROC points into precision–recall points as counting at each threshold does', () => {
    // Scores of 3 positives and 4 negatives; thresholds at every score, highest first.
    const scores = [0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.1];
    const positive = [true, false, true, false, true, false, false];
    const fpr: number[] = [];
    const tpr: number[] = [];
    const expected: [number, number][] = [];
    scores.forEach((t) => {
      const tp = scores.filter((s, i) => s >= t && positive[i]).length;
      const fp = scores.filter((s, i) => s >= t && !positive[i]).length;
      fpr.push(fp / 4);
      tpr.push(tp / 3);
      expected.push([tp / 3, tp / (tp + fp)]);
    });
    const pr = precisionRecall({ fpr: [0, ...fpr], tpr: [0, ...tpr] }, 3, 4);
    expect(pr).toHaveLength(expected.length);
    pr.forEach(([r, p], i) => {
      expect(r).toBeCloseTo(expected[i]![0], 12);
      expect(p).toBeCloseTo(expected[i]![1], 12);
    });
  });

  it('normalises confusion rows, leaving empty rows at 0', () => {
    expect(
      rowShares([
        [3, 1],
        [0, 0],
      ]),
    ).toEqual([
      [0.75, 0.25],
      [0, 0],
    ]);
  });

  it('lists only the settings two runs differ in', () => {
    expect(
      configDifferences(config, { ...config, epochs: 9, augment: { ...config.augment, flipHorizontal: 0.5 } }),
    ).toEqual([
      { path: 'augment.flipHorizontal', a: '0', b: '0.5' },
      { path: 'epochs', a: '3', b: '9' },
    ]);
  });
});

describe('useTrainingStore', () => {
  it('re-attaches to the run that is training and follows its progress', async () => {
    const client = fakeClient({
      'labels.tasks': () => ({ tasks: [] }),
      'training.runs': () => ({
        runs: [{ ...summary, active: false, state: 'completed', runId: 'run-20250101-000000-0000' }, summary],
      }),
      'training.run': () => ({ summary, record, progress: progress({ epoch: 1 }) }),
    });
    setLoupeClient(client);
    const store = useTrainingStore();
    await store.hydrate('/ws');
    expect(store.detail?.summary.runId).toBe(summary.runId);
    client.emit('training.progress', { workspace: '/ws', runId: summary.runId, progress: progress({ batch: 1 }) });
    expect(store.batchLoss).toEqual([[1.5, 0.5]]);
    client.emit('training.progress', {
      workspace: '/ws',
      runId: summary.runId,
      progress: progress({ batch: 3, epochRecord: epoch(1) }),
    });
    expect(store.detail?.record?.epochs.map((e) => e.epoch)).toEqual([0, 1]);
    expect(store.runs.find((r) => r.runId === summary.runId)?.epochsDone).toBe(2);
    // Another workspace's run (the CLI in another folder) is not this one.
    client.emit('training.progress', {
      workspace: '/other',
      runId: summary.runId,
      progress: progress({ batch: 3, epochRecord: epoch(2) }),
    });
    expect(store.detail?.record?.epochs).toHaveLength(2);
  });

  it('shows why a start was refused', async () => {
    setLoupeClient(
      fakeClient({
        'labels.tasks': () => ({ tasks: [] }),
        'training.runs': () => ({ runs: [] }),
        'training.defaults': () => ({
          taskId: 1,
          taskName: 'Lesion',
          kind: 'classification',
          config,
          architectures: ['small-cnn'],
          cores: 2,
          dataset: {
            classes: ['a', 'b'],
            counts: { train: 4, val: 1, test: 1 },
            skipped: [],
            pairs: 0,
            sizes: [],
            channels: 1,
            bitsStored: 8,
            mixedBitDepths: false,
            warnings: [],
            modalities: [],
          },
        }),
        'training.start': () => {
          throw new LoupeError('CONFLICT', 'Run run-x is training; one run trains at a time.');
        },
      }),
    );
    const store = useTrainingStore();
    await store.hydrate('/ws');
    await store.chooseTask(1);
    expect(await store.start()).toBe(false);
    expect(store.error).toBe('Run run-x is training; one run trains at a time.');
  });
});

describe('start from (fine-tuning)', () => {
  const done = (over: Partial<RunSummary>): RunSummary => ({ ...summary, state: 'completed', active: false, ...over });

  it('offers completed runs of the same kind only', () => {
    const runs = [
      done({ runId: 'run-20260101-000000-0001' }),
      done({ runId: 'run-20260101-000000-0002', kind: 'segmentation' }),
      { ...summary, runId: 'run-20260101-000000-0003' },
    ];
    expect(startingRuns(runs, 'classification').map((r) => r.runId)).toEqual(['run-20260101-000000-0001']);
  });

  it('writes no fineTune for scratch or an unfinished choice, and the run or file with the head its kind needs', () => {
    expect(fineTuneOf(scratch(), 'classification')).toBeUndefined();
    expect(fineTuneOf({ ...scratch(), source: 'run' }, 'classification')).toBeUndefined();
    expect(fineTuneOf({ ...scratch(), source: 'file', modelJson: '  ' }, 'classification')).toBeUndefined();
    expect(
      fineTuneOf({ ...scratch(), source: 'run', runId: summary.runId, freezeLayers: 3 }, 'classification'),
    ).toEqual({
      from: { kind: 'run', runId: summary.runId },
      head: 'replace',
      unfreeze: [],
      freezeLayers: 3,
      backboneLearningRateFactor: 0.1,
    });
    expect(fineTuneOf({ ...scratch(), source: 'run', runId: summary.runId }, 'detection')?.head).toBe('keep');
    expect(
      fineTuneOf({ ...scratch(), source: 'file', modelJson: ' /models/net/model.json ' }, 'segmentation')?.from,
    ).toEqual({ kind: 'tfjs-layers', modelJson: '/models/net/model.json' });
  });

  it('sends the draft with its fineTune to training.start', async () => {
    const client = fakeClient({
      'training.defaults': () =>
        ({
          taskId: 1,
          taskName: 'Lesion',
          kind: 'classification',
          config,
          dataset: {},
          architectures: ['small-cnn'],
          cores: 2,
        }) as never,
      'training.start': () => summary,
      'training.run': () => ({ summary, record: null, progress: null }),
    });
    setLoupeClient(client);
    const store = useTrainingStore();
    await store.chooseTask(1);
    store.draft!.fineTune = fineTuneOf(
      { ...scratch(), source: 'run', runId: 'run-20250101-000000-0001', freezeLayers: 2 },
      'classification',
    );
    expect(await store.start()).toBe(true);
    const started = client.calls.find((c) => c.channel === 'training.start')!.request as { config: TrainingConfig };
    expect(started.config.fineTune).toMatchObject({
      from: { kind: 'run', runId: 'run-20250101-000000-0001' },
      freezeLayers: 2,
      backboneLearningRateFactor: 0.1,
    });
  });
});
