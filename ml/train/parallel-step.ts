/**
 * The two-thread training step: the same contract as the single-thread `trainStep`, with each
 * batch's gradients computed half here and half on a gradient worker (ml/parallel). The worker
 * starts on the first step, when the model exists, and stops with `dispose()`.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName, LossConfig, TaskKind } from '../../contract/index';
import { DataParallelGradients } from '../parallel/data-parallel';
import { ENGINE_LOSS } from '../parallel/loss-registry';
import type { TrainStep } from './train-step';

export interface ParallelStepArgs {
  task: TaskKind;
  loss: LossConfig;
  numClasses: number;
  /** Backend of the gradient worker; default the engine's. */
  backend?: BackendName;
  /** Batches below this run on this thread alone; default MIN_BATCH_TO_SPLIT (2 splits every batch). */
  minBatchToSplit?: number;
}

export class ParallelTrainStep {
  private parallel: Promise<DataParallelGradients> | null = null;

  constructor(private readonly args: ParallelStepArgs) {}

  readonly step: TrainStep = async (context, batch) => {
    const { model, parameters, optimizer, learningRate } = context;
    this.parallel ??= DataParallelGradients.start({
      model,
      loss: {
        name: ENGINE_LOSS,
        config: {
          loss: this.args.loss,
          target: {
            task: this.args.task,
            numClasses: this.args.numClasses,
            outputChannels: model.outputs[0]!.shape.at(-1) as number,
          },
        },
      },
      ...(this.args.backend ? { backend: this.args.backend } : {}),
      ...(this.args.minBatchToSplit ? { minBatchToSplit: this.args.minBatchToSplit } : {}),
    });
    const parallel = await this.parallel;
    const { value, grads, logits } = await parallel.computeGradients(batch.x, batch.y);
    try {
      const gradients = new Map<string, tf.Tensor>();
      for (const parameter of parameters) {
        const gradient = grads[parameter.variable.name];
        if (gradient) gradients.set(parameter.name, gradient);
      }
      optimizer.apply(parameters, gradients, learningRate);
      return { loss: (await value.data())[0]!, logits };
    } finally {
      tf.dispose([value, ...Object.values(grads)]);
    }
  };

  async dispose(): Promise<void> {
    const parallel = await this.parallel?.catch(() => null);
    await parallel?.dispose();
  }
}
