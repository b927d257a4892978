/**
 * `npm run bench:compression`: what pruning and distillation give on synthetic scans. Trains a
 * dense teacher, prunes a copy to 80 % zeros while fine-tuning, distils a student a quarter of the
 * teacher's width, and prints each one's test accuracy, the pruned kernels' measured sparsity, and
 * the ONNX files' sizes raw, deflated (node:zlib) and zipped (Info-ZIP `zip -9`, where installed).
 *
 *   LOUPE_BENCH_IMAGES=240 LOUPE_BENCH_EPOCHS=8 LOUPE_BENCH_JSON=1 npm run bench:compression
 *
 * Run by vitest (bench/vitest.compression.config.ts) so that it loads the TypeScript sources. Not a test.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { it } from 'vitest';
import { trainRequestSchema, type RunRecord, type TrainingConfigInput } from '../contract/index';
import { exportOnnx } from '../ml/export/onnx-export';
import { loadModelFolder } from '../ml/model-io/model-folder';
import { runTraining } from '../ml/train/loop';
import { prunableKernels } from '../ml/train/pruning';
import { classificationDataset, makeSyntheticScans } from '../tests/fixtures/synthetic-scans';
import { startTrainingBackend } from '../tests/helpers/training-backend';

const TARGET_SPARSITY = 0.8;
const TEACHER_FILTERS = [16, 32, 64];
const STUDENT_FILTERS = [4, 8, 16];

const images = Number(process.env.LOUPE_BENCH_IMAGES ?? 240);
const epochs = Number(process.env.LOUPE_BENCH_EPOCHS ?? 8);
const root = mkdtempSync(path.join(os.tmpdir(), 'loupe-compression-bench-'));
const dataset = classificationDataset(makeSyntheticScans({ count: images, size: 32, seed: 11 }));
const base: TrainingConfigInput = {
  task: 'classification',
  model: { architecture: 'small-cnn', filters: TEACHER_FILTERS },
  preprocessing: { rows: 32, columns: 32 },
  loss: { name: 'cross-entropy' },
  learningRate: 3e-3,
  epochs,
  batchSize: 16,
  seed: 3,
  threads: 1,
};

async function train(name: string, config: TrainingConfigInput): Promise<{ dir: string; record: RunRecord }> {
  const dir = path.join(root, name);
  const record = await runTraining(trainRequestSchema.parse({ runDir: dir, dataset, config }), {
    signal: new AbortController().signal,
    progress: () => {},
  });
  return { dir, record };
}

async function measure(name: string, run: { dir: string; record: RunRecord }) {
  const { model, card } = await loadModelFolder(path.join(run.dir, 'model'));
  let zeros = 0;
  let size = 0;
  for (const kernel of prunableKernels(model)) {
    const values = kernel.read().dataSync();
    zeros += values.filter((v) => v === 0).length;
    size += values.length;
  }
  const { bytes } = exportOnnx(model, card);
  model.dispose();
  const file = path.join(root, `${name}.onnx`);
  writeFileSync(file, bytes);
  let zipped: number | null = null;
  const zip = spawnSync('zip', ['-9', '-q', '-j', `${file}.zip`, file]);
  if (zip.status === 0) zipped = statSync(`${file}.zip`).size;
  const evaluation = run.record.evaluation;
  return {
    name,
    testAccuracy: evaluation?.task === 'classification' ? evaluation.accuracy : null,
    kernelSparsity: zeros / size,
    kernelWeights: size,
    onnxBytes: bytes.length,
    deflatedBytes: deflateRawSync(bytes, { level: 9 }).length,
    zipBytes: zipped,
  };
}

it('measures pruning and distillation', async () => {
  await startTrainingBackend();
  try {
    const teacher = await train('teacher', base);
    const pruned = await train('pruned', {
      ...base,
      learningRate: 1e-3,
      fineTune: { from: { kind: 'loupe-model', dir: path.join(teacher.dir, 'model') }, head: 'keep' },
      prune: { targetSparsity: TARGET_SPARSITY },
    });
    const student = await train('student', { ...base, model: { architecture: 'small-cnn', filters: STUDENT_FILTERS } });
    const distilled = await train('distilled', {
      ...base,
      model: { architecture: 'small-cnn', filters: STUDENT_FILTERS },
      distill: { teacherRunId: 'run-20260101-000000-0000', teacherDir: path.join(teacher.dir, 'model') },
    });
    const rows = [
      await measure('dense fp32 (teacher)', teacher),
      await measure(`pruned to ${TARGET_SPARSITY * 100} %`, pruned),
      await measure('student alone', student),
      await measure('student distilled', distilled),
    ];
    if (process.env.LOUPE_BENCH_JSON === '1') console.log(JSON.stringify({ images, epochs, rows }, null, 2));
    else {
      console.log(`${images} synthetic 32×32 scans, ${epochs} epochs each (pruning: fine-tuned from the teacher)`);
      for (const r of rows)
        console.log(
          `${r.name.padEnd(22)} test accuracy ${r.testAccuracy?.toFixed(3) ?? '—'}  kernel zeros ${(100 * r.kernelSparsity).toFixed(1)} % of ${r.kernelWeights}  ONNX ${r.onnxBytes} B, deflated ${r.deflatedBytes} B, zip ${r.zipBytes ?? '—'} B`,
        );
      console.log(`pruned sparsity per epoch: ${pruned.record.epochs.map((e) => e.sparsity?.toFixed(3)).join(' ')}`);
      console.log(
        `teacher measured in the distillation run: ${JSON.stringify(distilled.record.teacher?.metrics?.task === 'classification' ? distilled.record.teacher.metrics.accuracy : null)}`,
      );
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
