/**
 * A workspace with a tiny detection run (generated shapes with their boxes) and a tiny
 * verification run (views of generated parts judged as labelled pairs), trained through the
 * services for one epoch: what the detection/verification explanation tests look at. The
 * detector's card keeps every box scoring 0.01 or more (at most MAX_BOXES), so an undertrained
 * model still shows boxes to explain.
 */
import path from 'node:path';
import type { TrainingConfigInput } from '../../contract/index';
import { DETECT_CONFIG as TINY_DETECTOR } from './batch-task-models';
import type { caller } from './labels';
import { detectionWorkspace, identityWorkspace } from './workspace-models';

type Call = ReturnType<typeof caller>;

const SPLIT = { train: 0.5, val: 0.25, test: 0.25 };
/** Boxes per image: enough to step through, few enough to keep the tests quick. */
export const MAX_BOXES = 4;

const DETECT_CONFIG: TrainingConfigInput = {
  ...TINY_DETECTOR,
  detection: { scoreThreshold: 0.01, maxDetections: MAX_BOXES },
};

const VERIFY_CONFIG: TrainingConfigInput = {
  task: 'verification',
  model: { architecture: 'siamese', backbone: { architecture: 'small-cnn', filters: [4, 8] }, embeddingDim: 8 },
  preprocessing: { rows: 16, columns: 16, intensity: { mode: 'dtype' } },
  loss: { name: 'contrastive', margin: 1 },
  optimizer: { name: 'adam' },
  learningRate: 2e-3,
  schedule: { name: 'constant' },
  epochs: 1,
  batchSize: 8,
  seed: 3,
  verification: { source: 'pairs', targetFar: 0.1 },
  monitor: { metric: 'val_eer', mode: 'min' },
};

async function train(call: Call, taskId: number, config: TrainingConfigInput): Promise<string> {
  const run = await call('training.start', { taskId, config });
  const finished = await call('training.watch', { runId: run.runId });
  if (finished.state !== 'completed') throw new Error(`run ${run.runId} ${finished.state}: ${finished.error ?? ''}`);
  return run.runId;
}

export interface BoxPairRuns {
  detectionRunId: string;
  detectionTaskId: number;
  verificationRunId: string;
  pairsTaskId: number;
}

export async function boxPairRuns(call: Call, dir: string): Promise<BoxPairRuns> {
  const shapes = await detectionWorkspace(call, path.join(dir, 'shapes'), { count: 16, seed: 5, fractions: SPLIT });
  const parts = await identityWorkspace(call, path.join(dir, 'parts'), {
    identities: 8,
    viewsPerIdentity: 3,
    seed: 3,
    fractions: SPLIT,
  });
  // Consecutive views of a part are the same part; each part's first view against the next part's is not.
  const pairsTask = await call('labels.createTask', { name: 'Same part', kind: 'verification' });
  for (const [p, views] of parts.parts.entries()) {
    for (let k = 0; k + 1 < views.length; k++)
      await call('labels.addPair', { taskId: pairsTask.id, imageA: views[k]!, imageB: views[k + 1]!, same: true });
    const next = parts.parts[(p + 1) % parts.parts.length]!;
    await call('labels.addPair', { taskId: pairsTask.id, imageA: views[0]!, imageB: next[0]!, same: false });
  }
  await call('labels.assignSplits', {
    taskId: pairsTask.id,
    fractions: SPLIT,
    groupBy: { kind: 'filename', pattern: '^(part\\d+)-' },
    seed: 3,
  });
  return {
    detectionRunId: await train(call, shapes.task.id, DETECT_CONFIG),
    detectionTaskId: shapes.task.id,
    verificationRunId: await train(call, pairsTask.id, VERIFY_CONFIG),
    pairsTaskId: pairsTask.id,
  };
}
