/**
 * Freeing activations and gradients as the backward pass goes: the same gradients as tfjs's own
 * backward pass, bit for bit, for every reference model; a lower peak of live tensor memory during
 * the pass; and nothing left behind.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_MODELS, referenceStep } from '../backends/onednn/reference-steps';
import { releaseDuringBackward } from './release-during-backward';

/** Watches the live tensor bytes as each tape node's gradient is asked for, changing nothing. */
function watchOnly(observe: (bytes: number) => void): void {
  const tape = (tf.engine() as unknown as { state: { activeTape: { gradient?: (dys: unknown) => unknown }[] } }).state
    .activeTape;
  for (const node of tape) {
    const gradient = node.gradient;
    if (gradient)
      node.gradient = (dys) => {
        observe(tf.memory().numBytes);
        return gradient(dys);
      };
  }
}

async function gradientsAndPeak(
  step: ReturnType<typeof referenceStep>,
  release: boolean,
): Promise<{ values: Float32Array[]; peak: number; left: number }> {
  const before = tf.memory().numTensors;
  let peak = 0;
  const observe = (bytes: number): void => {
    peak = Math.max(peak, bytes);
  };
  const tensors = step.gradients(() => (release ? releaseDuringBackward(observe) : watchOnly(observe)));
  const values = await Promise.all(tensors.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(tensors);
  return { values, peak, left: tf.memory().numTensors - before };
}

describe('releaseDuringBackward', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const name of REFERENCE_MODELS) {
    it(`${name}: the same gradients bit for bit, a lower peak, no tensor left`, async () => {
      const step = referenceStep(name);
      try {
        const kept = await gradientsAndPeak(step, false);
        const released = await gradientsAndPeak(step, true);
        expect(released.values.length).toBe(kept.values.length);
        released.values.forEach((v, i) =>
          expect(Buffer.from(v.buffer).equals(Buffer.from(kept.values[i]!.buffer))).toBe(true),
        );
        expect(released.left).toBe(0);
        expect(kept.left).toBe(0);
        expect(released.peak).toBeLessThan(kept.peak);
        console.log(
          `${name}: peak live tensors during backward ${(kept.peak / 2 ** 20).toFixed(1)} → ${(released.peak / 2 ** 20).toFixed(1)} MiB`,
        );
      } finally {
        step.dispose();
      }
    });
  }

  it('keeps a gradient a custom gradient passes on unchanged, or gives to two inputs', async () => {
    // passThrough's gradient hands dy on unchanged, twice's one tensor to both inputs (neither is
    // the true derivative; both are legal): tfjs then stores that same object as the gradient of
    // exp's output and of both inputs of the sum, each still to be read when the first is done.
    const passThrough = tf.customGrad((...[x]: (tf.Tensor | tf.GradSaveFunc)[]) => ({
      value: (x as tf.Tensor).square(),
      gradFunc: (dy: tf.Tensor) => dy,
    }));
    const twice = tf.customGrad((...[a, b]: (tf.Tensor | tf.GradSaveFunc)[]) => ({
      value: (a as tf.Tensor).add(b as tf.Tensor),
      gradFunc: (dy: tf.Tensor) => {
        const g = dy.mul(2);
        return [g, g];
      },
    }));
    const f = (u: tf.Tensor): tf.Tensor => twice(passThrough(tf.exp(u)), u.mul(u)).sum();
    const x = tf.tensor1d([0.3, -0.7, 1.2]);
    const kept = tf.grad(f)(x);
    const released = tf.grad((u: tf.Tensor) => {
      const y = f(u);
      releaseDuringBackward();
      return y;
    })(x);
    expect(Array.from(await released.data())).toEqual(Array.from(await kept.data()));
    tf.dispose([x, kept, released]);
  });
});
