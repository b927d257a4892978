/**
 * One training pass of Loupe's batch-norm layer on the active backend, for the tests of the
 * backends' batch-norm kernels (ml/backends/onednn/norm-kernels.test.ts,
 * ml/backends/webgpu/batch-norm.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormalization } from './batch-norm';
import { BATCH_NORM_MOMENTUM } from './common';

export interface BatchNormCase {
  shape: number[];
  x: ArrayLike<number>;
  dy: ArrayLike<number>;
  gamma: ArrayLike<number>;
  beta: ArrayLike<number>;
}

/** The names of batchNormTrainingPass's results, in order. */
export const BATCH_NORM_PASS_OUTPUTS = ['y', 'dx', 'dgamma', 'dbeta', 'moving mean', 'moving variance'] as const;

/**
 * The layer (scale and offset from `c`, moving mean 0 and variance 1) applied in training to x,
 * and the gradients of Σ y · dy: y, dx, dgamma, dbeta, and the moving averages after the pass.
 */
export function batchNormTrainingPass(c: BatchNormCase, epsilon: number): tf.Tensor[] {
  const layer = batchNormalization({ epsilon, momentum: BATCH_NORM_MOMENTUM });
  layer.build(c.shape);
  const channels = c.gamma.length;
  layer.setWeights([
    tf.tensor1d(Array.from(c.gamma)),
    tf.tensor1d(Array.from(c.beta)),
    tf.zeros([channels]),
    tf.ones([channels]),
  ]);
  const [gamma, beta, movingMean, movingVariance] = layer.weights.map((w) => w.read() as tf.Variable);
  const x = tf.variable(tf.tensor(Array.from(c.x), c.shape));
  const dy = tf.tensor(Array.from(c.dy), c.shape);
  let y: tf.Tensor | null = null;
  const { grads } = tf.variableGrads(() => {
    y = tf.keep(layer.apply(x, { training: true }) as tf.Tensor);
    return tf.sum(tf.mul(y, dy));
  });
  const outputs = [
    y!,
    grads[x.name]!,
    grads[gamma!.name]!,
    grads[beta!.name]!,
    movingMean!.clone(),
    movingVariance!.clone(),
  ];
  tf.dispose([x, dy, ...layer.weights.map((w) => w.read())]);
  return outputs;
}
