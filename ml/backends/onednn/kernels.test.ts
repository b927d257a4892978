/**
 * The oneDNN kernels against tfjs's plain JavaScript `cpu` backend (the oracle, as for Loupe's
 * wasm kernels), over a table of shapes, strides, dilations, paddings, depthwise multipliers and
 * product layouts: forward results and the gradients with respect to every input, within
 * KERNEL_RTOL. (Stock wasm is no oracle here: its XNNPACK Conv2D gives zeros for some outputs
 * with strides [1, 2] and 'same' padding, where `cpu` and oneDNN agree.)
 *
 * CI builds the addon (.ci/run installs libdnnl-dev), so there a missing addon fails the test; a
 * developer's machine without oneDNN skips it.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../select';
import { expectClose, seededValues, sizeOf } from '../wasm-kernels/kernel-test-support';
import { loadOneDnn } from './addon';
import { CONV_CASES, DEPTHWISE_CASES, DILATED_CASES, PRODUCT_CASES } from './kernel-cases';
import { ONEDNN_KERNEL_NAMES } from './kernels';
import { ONEDNN_TFJS_NAME } from './native-backend';
import { countKernels, type KernelTally } from './native-kernel';
import { RELU6_GRAD, RELU_GRAD } from '../lean-gradients';

const { addon, reason } = loadOneDnn();
const REQUIRED = process.env.CI === 'true';

type Values = { values: Float32Array; shape: number[] };

/** Runs `compute` (which makes its own inputs) on `backend`. */
async function runOn(backend: 'cpu' | typeof ONEDNN_TFJS_NAME, compute: () => tf.Tensor[]): Promise<Values[]> {
  await tf.setBackend(backend);
  const outputs = tf.tidy(compute);
  try {
    return await Promise.all(outputs.map(async (t) => ({ values: (await t.data()) as Float32Array, shape: t.shape })));
  } finally {
    tf.dispose(outputs);
  }
}

async function expectSameOnBoth(label: string, compute: () => tf.Tensor[]): Promise<void> {
  const oracle = await runOn('cpu', compute);
  const native = await runOn(ONEDNN_TFJS_NAME, compute);
  native.forEach((n, i) => expectClose(n, oracle[i]!, `${label} [output ${i}]`));
}

/** The op's value and its gradients with respect to every input, for a seeded upstream gradient. */
function withGradients(inputs: tf.Tensor[], op: (...xs: tf.Tensor[]) => tf.Tensor): tf.Tensor[] {
  const y = op(...inputs);
  const dy = tf.tensor(seededValues(y.size, 97), y.shape);
  const grads = tf.grads((...xs: tf.Tensor[]) =>
    op(...xs)
      .mul(dy)
      .sum(),
  )(inputs);
  return [y, ...grads];
}

function seeded(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(seededValues(sizeOf(shape), seed), shape);
}

/** A hang guard, not a speed claim: the plain-JS oracle is slow for the larger cases on a busy machine. */
const ORACLE_CASE_TIMEOUT_MS = 60_000;

describe.skipIf(!addon && !REQUIRED)(
  'oneDNN kernels against the wasm oracle',
  { timeout: ORACLE_CASE_TIMEOUT_MS },
  () => {
    beforeAll(async () => {
      if (!addon) throw new Error(`CI builds the oneDNN addon, but ${reason}`);
      const info = await initBackend('onednn');
      expect(info.backend).toBe('onednn');
    });

    it.each(CONV_CASES)('conv2d x $x · W $filter, strides $strides, pad $pad: value and both gradients', async (c) => {
      await expectSameOnBoth('conv2d', () =>
        withGradients([seeded(c.x, 1), seeded(c.filter, 2)], (x, w) =>
          tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad),
        ),
      );
    });

    it.each(CONV_CASES.slice(0, 4))(
      'fused conv2d with bias and ReLU, x $x · W $filter: value and gradients',
      async (c) => {
        await expectSameOnBoth('fused conv2d', () =>
          withGradients([seeded(c.x, 1), seeded(c.filter, 2), seeded([c.filter[3]], 3)], (x, w, b) =>
            tf.fused.conv2d({
              x: x as tf.Tensor4D,
              filter: w as tf.Tensor4D,
              strides: c.strides,
              pad: c.pad,
              bias: b,
              activation: 'relu',
            }),
          ),
        );
      },
    );

    it.each(DILATED_CASES)('dilated conv2d forward, x $x · W $filter, dilation $dilations', async (c) => {
      // tfjs-core has no gradient for dilated convolutions on any backend; the forward pass is checked.
      await expectSameOnBoth('dilated conv2d', () => [
        tf.conv2d(
          seeded(c.x, 1) as tf.Tensor4D,
          seeded(c.filter, 2) as tf.Tensor4D,
          c.strides,
          c.pad,
          'NHWC',
          c.dilations,
        ),
      ]);
    });

    it.each(CONV_CASES.slice(1, 5))(
      'conv2dTranspose (input gradient as forward), dy for x $x · W $filter',
      async (c) => {
        const outShape = c.x;
        await expectSameOnBoth('conv2dTranspose', () => {
          const y = tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.filter) as tf.Tensor4D, c.strides, c.pad);
          return withGradients([seeded(y.shape, 4), seeded(c.filter, 2)], (dy, w) =>
            tf.conv2dTranspose(dy as tf.Tensor4D, w as tf.Tensor4D, outShape, c.strides, c.pad),
          );
        });
      },
    );

    it.each(DEPTHWISE_CASES)(
      'depthwise conv2d x $x · W $filter, strides $strides, pad $pad: value and both gradients',
      async (c) => {
        await expectSameOnBoth('depthwise', () =>
          withGradients([seeded(c.x, 5), seeded(c.filter, 6)], (x, w) =>
            tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad),
          ),
        );
      },
    );

    it.each(PRODUCT_CASES)(
      'matMul a $a · b $b (transposeA $transposeA, transposeB $transposeB): value and both gradients',
      async (c) => {
        await expectSameOnBoth('matMul', () =>
          withGradients([seeded(c.a, 7), seeded(c.b, 8)], (a, b) => tf.matMul(a, b, c.transposeA, c.transposeB)),
        );
      },
    );

    it('matMul with a batch of one broadcast against four (forward; tfjs has no gradient for the broadcast)', async () => {
      await expectSameOnBoth('broadcast matMul', () => [tf.matMul(seeded([4, 5, 6], 7), seeded([1, 6, 2], 8))]);
    });

    it('fused matMul with a bias and ReLU (a dense layer): value and gradients', async () => {
      await expectSameOnBoth('fused matMul', () =>
        withGradients([seeded([16, 32], 9), seeded([32, 10], 10), seeded([10], 11)], (a, b, bias) =>
          tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation: 'relu' }),
        ),
      );
    });

    it.each([
      { shape: [4, 6, 5, 3], axis: [0, 1, 2] },
      { shape: [64, 7], axis: [0] },
      { shape: [3, 4, 5], axis: [0, 1] },
      { shape: [3, 4, 5], axis: [1, 2] },
    ])('sum and mean of $shape over axes $axis (bias gradients, batch-norm moments)', async (c) => {
      await expectSameOnBoth('sum/mean', () => [
        tf.sum(seeded(c.shape, 12), c.axis),
        tf.mean(seeded(c.shape, 12), c.axis, true),
      ]);
    });

    it.each([
      { x: [2, 8, 8, 3], pool: 2, strides: 2, pad: 'valid' as const },
      { x: [3, 9, 7, 4], pool: 3, strides: 2, pad: 'same' as const },
      { x: [1, 6, 6, 2], pool: 3, strides: 1, pad: 'same' as const },
    ])(
      'max pooling of $x (window $pool, strides $strides, $pad): value and gradient, ties after ReLU included',
      async (c) => {
        // ReLU makes all-zero windows, whose gradient goes to the first zero.
        await expectSameOnBoth('maxPool', () =>
          withGradients([seeded(c.x, 13)], (x) => tf.maxPool(tf.relu(x) as tf.Tensor4D, c.pool, c.strides, c.pad)),
        );
      },
    );

    it.each([
      {
        shapes: [
          [2, 4, 4, 3],
          [2, 4, 4, 5],
        ],
        axis: 3,
      },
      {
        shapes: [
          [2, 3],
          [4, 3],
          [1, 3],
        ],
        axis: 0,
      },
      {
        shapes: [
          [2, 3, 4],
          [2, 1, 4],
        ],
        axis: 1,
      },
    ])('concat of $shapes on axis $axis: value and the gradients (a split) of every part', async (c) => {
      await expectSameOnBoth('concat', () =>
        withGradients(
          c.shapes.map((shape, i) => seeded(shape, 20 + i)),
          (...xs) => tf.concat(xs, c.axis),
        ),
      );
    });

    it('split into unequal parts', async () => {
      await expectSameOnBoth('split', () => tf.split(seeded([2, 5, 9], 30), [2, 3, 4], 2));
    });

    it.each([
      // Large enough for several threads (threads.h: one per 128K values), and one small enough for one.
      { a: [16, 32, 32, 17], b: [16, 32, 32, 17] },
      { a: [16, 32, 32, 17], b: [17] },
      { a: [16, 32, 32, 17], b: [1] },
      { a: [7], b: [3, 900, 7] },
      { a: [600, 40, 3], b: [1, 40, 3] },
      { a: [4, 8, 8, 5], b: [5] },
    ])('add and multiply $a with $b (bias and scalar broadcasts): values and gradients', async (c) => {
      await expectSameOnBoth('add', () => withGradients([seeded(c.a, 40), seeded(c.b, 41)], (a, b) => tf.add(a, b)));
      await expectSameOnBoth('mul', () => withGradients([seeded(c.a, 42), seeded(c.b, 43)], (a, b) => tf.mul(a, b)));
    });

    it('ReLU and its gradient (Step), NaN kept, on a tensor large enough for several threads', async () => {
      await expectSameOnBoth('relu', () => withGradients([seeded([64, 32, 32, 8], 44)], (x) => tf.relu(x)));
      const nan = await runOn(ONEDNN_TFJS_NAME, () => [
        tf.relu(tf.tensor1d([NaN, -1, 2])),
        tf.step(tf.tensor1d([NaN, -1, 2])),
      ]);
      expect(Array.from(nan[0]!.values)).toEqual([NaN, 0, 2]);
      expect(Array.from(nan[1]!.values)).toEqual([NaN, 0, 1]);
      // The gradient is one kernel here (lean-gradients.ts): dy · step(x), NaN kept, as tfjs's two.
      const tally: KernelTally = { native: new Map(), views: new Map(), handedOver: new Map() };
      countKernels(tally);
      const grad = await runOn(ONEDNN_TFJS_NAME, () => [
        tf.grad((x: tf.Tensor) => tf.relu(x).mul(tf.tensor1d([1, 2, 3, 4])))(tf.tensor1d([NaN, -1, 2, 0])),
      ]);
      countKernels(null);
      expect(Array.from(grad[0]!.values)).toEqual([NaN, 0, 3, 0]);
      expect(tally.native.get(RELU_GRAD)).toBe(1);
    });

    it('ReLU6 and its gradient, NaN kept, at 0 and 6 as tfjs', async () => {
      await expectSameOnBoth('relu6', () => withGradients([seeded([64, 32, 32, 8], 45).mul(5)], (x) => tf.relu6(x)));
      const tally: KernelTally = { native: new Map(), views: new Map(), handedOver: new Map() };
      countKernels(tally);
      const x = [NaN, -1, 0, 2, 6, 7, Infinity];
      const grad = await runOn(ONEDNN_TFJS_NAME, () => [
        tf.grad((t: tf.Tensor) => tf.relu6(t).mul(tf.tensor1d([1, 2, 3, 4, 5, 6, 7])))(tf.tensor1d(x)),
      ]);
      countKernels(null);
      expect(Array.from(grad[0]!.values)).toEqual([NaN, 0, 0, 4, 5, 0, 0]);
      expect(tally.native.get(RELU6_GRAD)).toBe(1);
    });

    it('clone and a float32 cast share the buffer safely: disposing the source keeps the copy', async () => {
      await tf.setBackend(ONEDNN_TFJS_NAME);
      const source = seeded([4, 5], 50);
      const expected = await source.data();
      const copies = [source.clone(), tf.cast(source, 'float32')];
      source.dispose();
      for (const copy of copies) expect(await copy.data()).toEqual(expected);
      tf.dispose(copies);
    });

    it('leaves no tensor behind and reports itself', async () => {
      await tf.setBackend(ONEDNN_TFJS_NAME);
      const before = tf.memory().numTensors;
      const out = tf.tidy(() =>
        withGradients([seeded([2, 8, 8, 3], 1), seeded([3, 3, 3, 4], 2)], (x, w) =>
          tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'),
        ),
      );
      tf.dispose(out);
      expect(tf.memory().numTensors).toBe(before);
      expect(ONEDNN_KERNEL_NAMES).toContain('Conv2DBackpropFilter');
      expect(addon!.info().threads).toBeGreaterThan(0);
    });
  },
);
