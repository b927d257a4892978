import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runReference } from '../../tests/helpers/python-reference';
import { SeededRandom } from '../data/random';
import { registerLeanGradients } from './lean-gradients';

/** tfjs's own gradients, kept before Loupe's replace them (each test file has its own tfjs). */
const stock = { mean: tf.getGradient(tf.Mean)!, batchNorm: tf.getGradient(tf.FusedBatchNorm)! };

function useGradients(which: 'stock' | 'lean'): void {
  if (which === 'lean') return registerLeanGradients();
  tf.registerGradient(stock.mean);
  tf.registerGradient(stock.batchNorm);
}

function values(n: number, seed: number): number[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: n }, () => random.next() * 4 - 2);
}

const EPSILON = 1e-3;

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * A tf.layers batch norm in training mode (the mean and variance of tf.moments, then
 * FusedBatchNorm): y and the gradients of Σ y·dy. tfjs-layers trains one only with both its scale
 * and offset (it reads them unconditionally).
 */
function batchNormStep(shape: number[], x: number[], dy: number[], gamma: number[], beta: number[]) {
  const layer = tf.layers.batchNormalization({ epsilon: EPSILON });
  layer.build(shape);
  layer.setWeights([tf.tensor1d(gamma), tf.tensor1d(beta), tf.zeros([gamma.length]), tf.ones([gamma.length])]);
  const input = tf.variable(tf.tensor(x, shape));
  const upstream = tf.tensor(dy, shape);
  let y: number[] = [];
  const { grads } = tf.variableGrads(() => {
    const out = layer.apply(input, { training: true }) as tf.Tensor;
    y = Array.from(out.dataSync());
    return tf.sum(tf.mul(out, upstream)) as tf.Scalar;
  });
  const gradientOf = (name: string) => {
    const weight = layer.trainableWeights.find((w) => w.name.includes(name))!;
    return Array.from(grads[(weight.read() as tf.Variable).name]!.dataSync());
  };
  const result = {
    y,
    dx: Array.from(grads[input.name]!.dataSync()),
    dgamma: gradientOf('gamma'),
    dbeta: gradientOf('beta'),
  };
  tf.dispose([input, upstream, ...Object.values(grads), ...layer.weights.map((w) => w.read())]);
  return result;
}

function expectClose(actual: number[], expected: number[], tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(...expected.map(Math.abs), 1e-6);
  const worst = Math.max(...actual.map((a, i) => Math.abs(a - expected[i]!)));
  expect(worst / scale).toBeLessThan(tolerance);
}

describe('lean gradients of batch norm and mean', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives a mean’s gradient bit for bit as tfjs does, over any axes, with or without kept dimensions', () => {
    const x = tf.tensor(values(2 * 5 * 6 * 3, 1), [2, 5, 6, 3]);
    const dyOf = (shape: number[]) => tf.tensor(values(sizeOf(shape), 2), shape);
    const cases: { axis: number[]; keepDims: boolean }[] = [
      { axis: [1, 2], keepDims: false },
      { axis: [0, 1, 2], keepDims: true },
      { axis: [3], keepDims: false },
      { axis: [0, 1, 2, 3], keepDims: false },
    ];
    for (const { axis, keepDims } of cases) {
      const gradientWith = (which: 'stock' | 'lean') => {
        useGradients(which);
        const out = tf.mean(x, axis, keepDims);
        const dy = dyOf(out.shape);
        const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mean(t, axis, keepDims), dy)))(x);
        return Array.from(dx.dataSync());
      };
      expect(gradientWith('lean')).toEqual(gradientWith('stock'));
    }
  });

  const shapes = [
    [4, 5, 6, 3],
    [8, 3, 3, 16],
    [1, 7, 7, 8],
  ];
  /** Inputs far from zero mean and unit variance, so that the moments matter. */
  const inputs = shapes.map((shape) => {
    const size = sizeOf(shape);
    const channels = shape[3]!;
    return {
      shape,
      x: values(size, 3).map((v, i) => v * 3 + (i % channels)),
      dy: values(size, 4),
      gamma: values(channels, 5).map((v) => 1 + v / 4),
      beta: values(channels, 6),
      epsilon: EPSILON,
    };
  });
  let references: { y: number[]; dx: number[]; dgamma: number[]; dbeta: number[] }[] = [];
  beforeAll(() => {
    // One Python process for all cases: importing torch alone takes a second.
    references = runReference<{ cases: typeof references }>('torch_batch_norm.py', { cases: inputs }).cases;
  });

  it.each(shapes.map((shape, index) => ({ shape, index })))(
    'trains a batch norm of $shape as PyTorch does, and as tfjs’s own gradients do',
    ({ index }) => {
      const { shape, x, dy, gamma, beta } = inputs[index]!;
      useGradients('stock');
      const tfjs = batchNormStep(shape, x, dy, gamma, beta);
      useGradients('lean');
      const lean = batchNormStep(shape, x, dy, gamma, beta);
      for (const [name, got] of [
        ['PyTorch', references[index]!],
        ['tfjs', tfjs],
      ] as const) {
        expectClose(lean.y, got.y, 1e-5);
        expectClose(lean.dx, got.dx, name === 'PyTorch' ? 1e-4 : 1e-5);
        expectClose(lean.dgamma, got.dgamma, 1e-4);
        expectClose(lean.dbeta, got.dbeta, 1e-5);
      }
    },
  );
});
