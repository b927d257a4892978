/**
 * An epoch's training batches, with one step in flight: each step is issued (issueTrainStep)
 * before the previous step's loss and outputs are awaited. On a GPU the step then computes while
 * JavaScript builds the next batch and records (or replays) the next step, instead of the GPU
 * idling while JavaScript works and JavaScript idling while the GPU reads back. On the CPU a step
 * has computed when it is issued, so only the order of the progress reports moves (each batch's
 * comes as the next batch's step has been issued). A replacement step (the data-parallel one) is
 * awaited whole, as before.
 */
import { LoupeError, type TrainingProgress } from '../../contract/index';
import { throwIfCancelled, yieldToMessages } from '../worker/runtime';
import { batchLoss } from './compression';
import type { Parameter } from '../optim/optimizers';
import type { TrainingSession } from './session';
import { issueTrainStep, type IssuedStep, type StepOutcome, type TrainStep } from './train-step';

/** What an epoch's batches add up to. */
export interface EpochTotals {
  lossSum: number;
  seen: number;
  /** The metric is summed over the batches where it is defined (a detection batch without objects has no recall). */
  metricSum: number;
  metricSeen: number;
  /** The learning rate of the epoch's last batch. */
  learningRate: number;
}

/** The run's progress so far, which each batch advances. */
export interface RunClock {
  started: number;
  batchesDone: number;
  batchesTotal: number;
}

interface InFlight {
  issued: IssuedStep;
  index: number;
  size: number;
  targets: ArrayLike<number>;
  learningRate: number;
}

/** A step already read (a replacement step), in the shape of one issued. */
function alreadyRead(outcome: StepOutcome): IssuedStep {
  return { outcome: async () => outcome, discard: () => {} };
}

export interface EpochStepsOptions {
  hooks: { signal: AbortSignal; progress(progress: TrainingProgress): void };
  /** Replaces the single-thread step, awaited whole (the data-parallel step), or null. */
  replacement: TrainStep | null;
  clock: RunClock;
  /** Issues the single-thread step (tests watch it); default issueTrainStep. */
  issue?: typeof issueTrainStep;
}

export async function trainEpochBatches(
  session: TrainingSession,
  epoch: number,
  parameters: readonly Parameter[],
  options: EpochStepsOptions,
): Promise<EpochTotals> {
  const { hooks, replacement, clock, issue = issueTrainStep } = options;
  const { config, schedule, task, compression } = session;
  const totals: EpochTotals = { lossSum: 0, seen: 0, metricSum: 0, metricSeen: 0, learningRate: schedule.at(epoch, 0) };
  const settle = async ({ issued, index, size, targets, learningRate }: InFlight) => {
    const outcome = await issued.outcome();
    if (!Number.isFinite(outcome.loss)) {
      throw new LoupeError(
        'INVALID_REQUEST',
        `Training diverged (the loss became ${outcome.loss} in epoch ${epoch + 1}, batch ${index + 1}); lower the learning rate.`,
      );
    }
    totals.lossSum += outcome.loss * size;
    totals.seen += size;
    const metric = task.batchMetric(outcome.logits, targets, size);
    if (metric !== null) {
      totals.metricSum += metric * size;
      totals.metricSeen += size;
    }
    clock.batchesDone++;
    const elapsedMs = performance.now() - clock.started;
    hooks.progress({
      phase: 'training',
      epoch,
      epochs: config.epochs,
      batch: index,
      batches: task.batchesPerEpoch,
      loss: totals.lossSum / totals.seen,
      metric: totals.metricSeen > 0 ? { name: task.metricName, value: totals.metricSum / totals.metricSeen } : null,
      learningRate,
      elapsedMs,
      batchesDone: clock.batchesDone,
      batchesTotal: clock.batchesTotal,
      etaMs: (elapsedMs / clock.batchesDone) * (clock.batchesTotal - clock.batchesDone),
    });
  };
  // Steps issued and not yet read, oldest first: one between two batches, none at the end.
  const flight: InFlight[] = [];
  try {
    for (const [index, plan] of task.epochBatches(epoch).entries()) {
      throwIfCancelled(hooks.signal);
      const learningRate = schedule.at(epoch, index);
      totals.learningRate = learningRate;
      const batch = task.trainingBatch(plan, epoch, index);
      const loss = batchLoss(compression, session.loss, batch.x);
      try {
        const targets = await batch.y.data();
        const context = {
          model: session.run.model,
          loss: loss.loss,
          parameters,
          optimizer: session.optimizer,
          learningRate,
        };
        const issued = replacement ? alreadyRead(await replacement(context, batch)) : issue(context, batch);
        flight.push({ issued, index, size: batch.size, targets, learningRate });
        await compression.pruner?.afterStep(epoch * task.batchesPerEpoch + index);
      } finally {
        loss.release();
        batch.x.dispose();
        batch.y.dispose();
      }
      if (flight.length > 1) await settle(flight.shift()!);
      await yieldToMessages();
    }
    // A cancel heard as the last batch but one was read stops here too, as it would at the next batch.
    throwIfCancelled(hooks.signal);
    while (flight.length > 0) await settle(flight.shift()!);
  } finally {
    // A run stopped between two steps (cancelled, diverged, failed) frees the steps it did not read.
    for (const step of flight) step.issued.discard();
  }
  return totals;
}
