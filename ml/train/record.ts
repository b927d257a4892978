/** The run record (run.json) as a run starts or resumes. */
import * as tf from '@tensorflow/tfjs';
import type { RunRecord } from '../../contract/index';
import type { TrainingSession } from './session';
import { computeDevice } from '../backends/select';

export function newRunRecord(session: TrainingSession): RunRecord {
  const now = new Date().toISOString();
  const best = session.best.best;
  return {
    format: 'loupe-run',
    version: 1,
    runId: session.runId,
    status: 'running',
    task: session.config.task,
    classes: session.data.classes,
    config: { ...session.config, model: session.run.modelConfig },
    preprocessing: session.data.spec,
    environment: {
      backend: session.backend,
      tfjs: tf.version.tfjs,
      node: process.versions.node,
      device: computeDevice(),
    },
    dataset: session.data.snapshot,
    // A resumed run continues from its checkpoint, which run.json may trail by one epoch.
    epochs: session.resumed?.epochs ?? [],
    best:
      best && session.resumed ? { epoch: best.epoch, metric: session.config.monitor.metric, value: best.value } : null,
    stoppedEarly: session.resumed?.stoppedEarly ?? false,
    evaluation: null,
    modelDir: null,
    startedAt: session.record?.startedAt ?? now,
    updatedAt: now,
    finishedAt: null,
  };
}
