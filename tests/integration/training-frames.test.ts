/**
 * The task's frame choice on multi-frame DICOM files (made by DCMTK in
 * tests/fixtures/imaging/multi-frame.ts), read by Loupe's decoder: `all` trains on every
 * frame (N files × F frames samples, each frame decoded from its own index, all in its image's
 * split), `middle` on one frame per file, `first` as before; the choice is kept in the task.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainRequestSchema } from '../../contract/index';
import { buildTaskDataset } from '../../main/services/training/task-dataset';
import { readTrainingFrame } from '../../ml/decode/frame-reader';
import { openImage, readImageBytes } from '../../ml/decode/index';
import { setFrameReader } from '../../ml/data/dataset';
import { engineHandlers } from '../../ml/methods/index';
import { frameValue, MULTI_FRAME_SIZE, writeMultiFrameDicoms } from '../fixtures/imaging/multi-frame';
import { engineContext } from '../helpers/engine-training';
import { labelsWorkspace } from '../helpers/labels-services';
import { startTrainingBackend } from '../helpers/training-backend';

const FILES = 6;
const FRAMES = 3;
/** One epoch of a tiny network on 16×16 frames: this checks which samples train, not how well. */
const TRAIN_TIMEOUT_MS = 120_000;

let env: Awaited<ReturnType<typeof labelsWorkspace>>;
let taskId: number;
/** Image id → the index of its file (frameValue's first argument). */
const fileOf = new Map<number, number>();

beforeAll(async () => {
  env = await labelsWorkspace([]);
  const files = writeMultiFrameDicoms(path.join(env.dir, 'dicom'), FILES, FRAMES);
  // Rows as the import writes them, from the decoder's own reading of each file (the import's
  // decode pool runs in the built app's worker, which this test does not build).
  const insert = env.db().prepare(
    `INSERT INTO images (sha256, path, file_name, format, file_size, rows, columns, frames, samples_per_pixel, bits_allocated,
       bits_stored, pixel_representation, photometric, patient_id, metadata_json, imported_at)
     VALUES (?, ?, ?, 'dicom', ?, ?, ?, ?, 1, 8, 8, 0, 'MONOCHROME2', ?, '{}', ?)`,
  );
  for (const [index, file] of files.entries()) {
    const bytes = readFileSync(file);
    const { info } = await openImage(await readImageBytes(file));
    const id = insert.run(
      createHash('sha256').update(bytes).digest('hex'),
      file,
      path.basename(file),
      bytes.byteLength,
      info.rows,
      info.columns,
      info.frames,
      info.patientId,
      new Date().toISOString(),
    ).lastInsertRowid;
    expect(info.frames).toBe(FRAMES);
    fileOf.set(Number(id), index);
  }
  const rows = [...fileOf.keys()].map((id) => ({ id }));
  const task = await env.call('labels.createTask', {
    name: 'Cine',
    kind: 'classification',
    classes: [{ name: 'dark' }, { name: 'bright' }],
  });
  taskId = task.id;
  const ids = rows.map((r) => r.id);
  const half = ids.length / 2;
  await env.call('labels.assign', { taskId, imageIds: ids.slice(0, half), mode: 'set', classId: task.classes[0]!.id });
  await env.call('labels.assign', { taskId, imageIds: ids.slice(half), mode: 'set', classId: task.classes[1]!.id });
  await env.call('labels.assignSplits', {
    taskId,
    fractions: { train: 0.67, val: 0.33, test: 0 },
    groupBy: { kind: 'image' },
    seed: 1,
  });
}, 60_000);
afterAll(() => env?.dispose());

describe('frames of multi-frame images per task', () => {
  it('keeps the first frame by default and stores the choice in the task', async () => {
    const tasks = await env.call('labels.tasks', {});
    expect(tasks.tasks.find((t) => t.id === taskId)!.frames).toBe('first');
    const built = await buildTaskDataset(env.services.workspaces.require(), taskId);
    expect(built.dataset.samples).toHaveLength(FILES);
    expect(built.dataset.samples.every((s) => 'frameIndex' in s.image && s.image.frameIndex === 0)).toBe(true);

    const middle = await env.call('labels.setTaskFrames', { taskId, frames: 'middle' });
    expect(middle.frames).toBe('middle');
    const centred = await buildTaskDataset(env.services.workspaces.require(), taskId);
    expect(centred.dataset.samples.map((s) => ('frameIndex' in s.image ? s.image.frameIndex : -1))).toEqual(
      Array(FILES).fill(Math.floor(FRAMES / 2)),
    );
    // One frame per image keeps the image's own sample id.
    expect(centred.dataset.samples.map((s) => Number(s.id))).toEqual([...fileOf.keys()]);
  });

  it(
    'with all, makes a sample of every frame, reads each frame, and trains on files × frames samples',
    async () => {
      await env.call('labels.setTaskFrames', { taskId, frames: 'all' });
      const built = await buildTaskDataset(env.services.workspaces.require(), taskId);
      const { samples } = built.dataset;
      expect(samples).toHaveLength(FILES * FRAMES);
      const splitOf = new Map<number, string>();
      for (const sample of samples) {
        const image = built.images.get(sample.id)!;
        if (!('frameIndex' in sample.image)) throw new Error('expected a file sample');
        expect(sample.id).toBe(`${image.imageId}:${sample.image.frameIndex}`);
        // Frames of one image stay in its split.
        expect(splitOf.get(image.imageId) ?? sample.split).toBe(sample.split);
        splitOf.set(image.imageId, sample.split);
        const frame = await readTrainingFrame(sample.image.path, sample.image.frameIndex);
        expect(frame.data[MULTI_FRAME_SIZE * MULTI_FRAME_SIZE - 1]).toBe(
          frameValue(fileOf.get(image.imageId)!, sample.image.frameIndex),
        );
      }

      await startTrainingBackend();
      // As the engine worker does at start (ml/worker/entry.ts): samples given by path decode through it.
      setFrameReader(readTrainingFrame);
      const defaults = await env.call('training.defaults', { taskId });
      const config = {
        ...defaults.config,
        epochs: 1,
        batchSize: 4,
        model: { architecture: 'small-cnn' as const, filters: [4, 8] },
      };
      const runDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'loupe-frames-run-')), 'run');
      try {
        const record = await engineHandlers.train(
          trainRequestSchema.parse({ runDir, dataset: built.dataset, config }),
          engineContext(),
        );
        const { splits } = record.dataset;
        expect(splits.train.length + splits.val.length + splits.test.length).toBe(FILES * FRAMES);
        expect(new Set([...splits.train, ...splits.val])).toEqual(new Set(samples.map((s) => s.id)));
      } finally {
        rmSync(path.dirname(runDir), { recursive: true, force: true });
      }
    },
    TRAIN_TIMEOUT_MS,
  );
});
