import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { LoupeError, type ExportComparison, type ExportReply, type RunSummary } from '../../../contract/index';
import { setLoupeClient } from '../client/index';
import { fakeClient } from '../testing/fake-client';
import { bundleFolder, defaultExportFolder, useExportStore } from './export';

beforeEach(() => setActivePinia(createPinia()));

const RUN_ID = 'run-20260101-093000-1a2b';
const run = (runId: string, state: RunSummary['state']): RunSummary => ({
  runId,
  taskId: 1,
  taskName: 'Lesion',
  kind: 'classification',
  state,
  architecture: 'small-cnn',
  epochsDone: 1,
  epochs: 1,
  best: null,
  test: null,
  threads: null,
  error: null,
  active: false,
  createdAt: '2026-01-01T09:30:00Z',
  updatedAt: '2026-01-01T09:31:00Z',
});
const parity = {
  split: 'test',
  images: 4,
  runtime: 'ort',
  maxAbsDiff: 1e-6,
  tolerance: 1e-4,
  samePredictions: 4,
  passed: true,
};
const reply = (outDir: string, format: ExportReply['format']): ExportReply => ({
  outDir,
  format,
  files: ['model.onnx', 'model-card.json'],
  modelBytes: 1000,
  parity,
});
const COMPARISON: ExportComparison = {
  runId: RUN_ID,
  split: 'test',
  metric: { name: 'accuracy', lowerIsBetter: false },
  loupeMetric: 0.75,
  images: 4,
  runtime: 'ort',
  rows: [],
  skipped: [],
};

describe('export store', () => {
  it('offers completed runs only, with a folder inside the workspace', async () => {
    setLoupeClient(
      fakeClient({
        'training.runs': () => ({ runs: [run('run-20260101-093000-ffff', 'cancelled'), run(RUN_ID, 'completed')] }),
        'training.exports': () => ({ exports: [] }),
      }),
    );
    const store = useExportStore();
    await store.hydrate('/data/ws');
    expect(store.exportable.map((r) => r.runId)).toEqual([RUN_ID]);
    expect(store.runId).toBe(RUN_ID);
    expect(store.folder).toBe(`/data/ws/exports/${RUN_ID}`);
    expect(defaultExportFolder('C:\\ws\\', RUN_ID)).toBe(`C:\\ws\\exports\\${RUN_ID}`);
    expect(bundleFolder('/out/', 'onnx-int8')).toBe('/out/onnx-int8');
  });

  it('exports each format into its own folder, then compares the run', async () => {
    const exported: { outDir: string; format: string; force: boolean }[] = [];
    const client = fakeClient({
      'training.runs': () => ({ runs: [run(RUN_ID, 'completed')] }),
      'training.exports': () => ({
        exports: exported.map((e) => ({
          format: e.format,
          outDir: e.outDir,
          modelFile: 'model.onnx',
          preprocessingBaked: true,
          exportedAt: '2026-01-01T10:00:00Z',
        })),
      }),
      'training.export': (r) => {
        exported.push({ outDir: r.outDir, format: r.format!, force: r.force! });
        return reply(r.outDir, r.format!);
      },
      'training.compareExports': () => COMPARISON,
    });
    setLoupeClient(client);
    const store = useExportStore();
    await store.hydrate('/ws');
    expect(store.formats).toEqual(['onnx', 'onnx-int8']);
    expect(await store.start()).toBe(true);
    expect(exported).toEqual([
      { outDir: `/ws/exports/${RUN_ID}/onnx`, format: 'onnx', force: false },
      { outDir: `/ws/exports/${RUN_ID}/onnx-int8`, format: 'onnx-int8', force: false },
    ]);
    expect(store.results).toHaveLength(2);
    expect(store.comparison).toEqual(COMPARISON);
    expect(store.step).toBeNull();
  });

  it('stops on a folder that exists and offers to replace it', async () => {
    let forced = false;
    setLoupeClient(
      fakeClient({
        'training.runs': () => ({ runs: [run(RUN_ID, 'completed')] }),
        'training.exports': () => ({ exports: [] }),
        'training.export': (r) => {
          if (!r.force)
            throw new LoupeError(
              'CONFLICT',
              `${r.outDir} already exists; choose another folder or pass --force to replace it.`,
            );
          forced = true;
          return reply(r.outDir, r.format!);
        },
      }),
    );
    const store = useExportStore();
    await store.hydrate('/ws');
    store.toggleFormat('onnx-int8', false);
    expect(await store.start()).toBe(false);
    expect(store.conflict).toBe(`/ws/exports/${RUN_ID}`);
    expect(store.error).toContain('already exists');
    expect(await store.start(true)).toBe(true);
    expect(forced).toBe(true);
    expect(store.conflict).toBeNull();
    expect(store.error).toBeNull();
  });

  it("carries a verification run's gallery only when asked, and never another kind's", async () => {
    const VERIFIER = 'run-20260101-093000-9f9f';
    const asked: { runId: string; gallery: boolean | undefined }[] = [];
    setLoupeClient(
      fakeClient({
        'training.runs': () => ({
          runs: [run(RUN_ID, 'completed'), { ...run(VERIFIER, 'completed'), kind: 'verification' }],
        }),
        'training.exports': () => ({ exports: [] }),
        'training.export': (r) => {
          asked.push({ runId: r.runId, gallery: r.gallery });
          return reply(r.outDir, r.format!);
        },
        'training.compareExports': () => COMPARISON,
      }),
    );
    const store = useExportStore();
    await store.hydrate('/ws');
    store.toggleFormat('onnx-int8', false);
    store.gallery = true;
    // Ticked for a verifier, then the classifier is shown: its export carries none.
    expect(await store.start()).toBe(true);
    await store.selectRun(VERIFIER, '/ws');
    expect(await store.start()).toBe(true);
    store.gallery = false;
    expect(await store.start(true)).toBe(true);
    expect(asked).toEqual([
      { runId: RUN_ID, gallery: false },
      { runId: VERIFIER, gallery: true },
      { runId: VERIFIER, gallery: false },
    ]);
  });
});
