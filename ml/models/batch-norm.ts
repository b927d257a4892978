/**
 * Loupe's batch-normalisation layer: tfjs-layers' BatchNormalization, whose training pass runs as
 * two kernels (forward and backward, ml/backends/batch-norm-training.ts) on a backend that
 * registers them — the oneDNN and WebGPU backends do (ml/backends/onednn/norm-kernels.ts,
 * ml/backends/webgpu/batch-norm.ts).
 *
 * Why: tfjs-layers trains batch norm as tf.moments (two means, a difference, a square) and a
 * FusedBatchNorm, each differentiated on its own: about seven full-size passes forward and a
 * dozen backward, half of a training step of Loupe's small CNN even with the lean gradients
 * (ml/backends/lean-gradients.ts). The two kernels make two passes each way.
 *
 * Everything else is tfjs's class: the same weights, config, serialisation (the class name stays
 * `BatchNormalization`, so saved models, exports and the folded inference copy do not change),
 * inference, and the moving averages updated as tfjs does from the batch's mean and (biased)
 * variance. Where the backend lacks the kernels (wasm, cpu), or for a case they do not
 * take (a normalised axis other than the last, no scale or offset, not float32), training runs
 * tfjs's own pass. Importing this module puts the class in tfjs's class map under
 * `BatchNormalization`, so models read from disk get it too (ml/model-io imports it). In a
 * training pass run through `applyForTraining`, a batch norm whose only reader is a ReLU layer
 * applies that ReLU in its kernels where they take it (batch-norm-relu.ts).
 */
import * as tf from '@tensorflow/tfjs';
import {
  batchNormTraining,
  batchNormTrainingFusesRelu,
  hasBatchNormTrainingKernels,
} from '../backends/batch-norm-training';
import { fusesReluAfter, markReluApplied } from './batch-norm-relu';

type BatchNormArgs = Parameters<typeof tf.layers.batchNormalization>[0];
type Kwargs = Record<string, unknown>;

/** What the training pass reads of tfjs's layer (its fields, not in its typings). */
interface BatchNormFields {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

/** tfjs-layers' class, which @tensorflow/tfjs does not export by name. */
const StockBatchNormalization = Object.getPrototypeOf(tf.layers.batchNormalization()).constructor as (new (
  args?: BatchNormArgs,
) => tf.layers.Layer) &
  Pick<tf.serialization.SerializableConstructor<tf.layers.Layer>, 'fromConfig'>;

export class BatchNormalization extends StockBatchNormalization {
  static className = 'BatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const input = Array.isArray(inputs) ? inputs[0]! : inputs;
    const fields = this as unknown as BatchNormFields;
    const axis = fields.axis >= 0 ? fields.axis : fields.axis + input.rank;
    const { gamma, beta } = fields;
    const fused =
      kwargs['training'] === true &&
      axis === input.rank - 1 &&
      gamma !== null &&
      beta !== null &&
      input.dtype === 'float32' &&
      hasBatchNormTrainingKernels();
    if (!fused) return super.call(inputs, kwargs);
    const relu = fusesReluAfter(this) && batchNormTrainingFusesRelu();
    const y = tf.tidy(() => {
      const { movingMean, movingVariance } = fields;
      // tfjs's moving averages: value ← value − (value − batch statistic) · (1 − momentum).
      const moving = { mean: movingMean.read(), variance: movingVariance.read(), momentum: fields.momentum };
      const out = batchNormTraining(input, gamma.read(), beta.read(), fields.epsilon, relu ? 'relu' : 'linear', moving);
      const [nextMean, nextVariance] = out.nextMoving!;
      movingMean.write(nextMean);
      movingVariance.write(nextVariance);
      tf.dispose([out.mean, out.variance, nextMean, nextVariance]);
      return out.y;
    });
    if (relu) markReluApplied(y);
    return y;
  }
}

// In place of tfjs's class (not registerClass, which would save models under `Custom>BatchNormalization`).
tf.serialization.SerializationMap.register(BatchNormalization);

/** A batch-normalisation layer (tfjs's arguments). */
export function batchNormalization(args?: BatchNormArgs): tf.layers.Layer {
  return new BatchNormalization(args);
}
