import * as tf from '@tensorflow/tfjs';
import type { BenchmarkReply } from '../../contract/index';
import { activeBackend } from '../backends/select';
import { throwIfCancelled, yieldToMessages, type MethodContext } from '../worker/runtime';
import { LoupeError } from '../../contract/errors';

/** Square matrix products on the active backend; the first product is a warm-up and not timed. */
export async function benchmark(
  request: { size: number; iterations: number },
  context: MethodContext<'benchmark'>,
): Promise<BenchmarkReply> {
  const info = activeBackend();
  if (!info) throw new LoupeError('ENGINE_UNAVAILABLE', 'The engine has not started a backend yet.');
  const { size, iterations } = request;
  const a = tf.randomUniform([size, size], -1, 1, 'float32', 1);
  const b = tf.randomUniform([size, size], -1, 1, 'float32', 2);
  try {
    await productOnce(a, b);
    let elapsed = 0;
    for (let i = 0; i < iterations; i++) {
      throwIfCancelled(context.signal);
      const start = performance.now();
      await productOnce(a, b);
      elapsed += performance.now() - start;
      context.progress({ done: i + 1, total: iterations });
      await yieldToMessages();
    }
    const msPerIteration = elapsed / iterations;
    const flops = 2 * size ** 3;
    return { backend: info.backend, size, iterations, msPerIteration, gflops: flops / (msPerIteration / 1000) / 1e9 };
  } finally {
    a.dispose();
    b.dispose();
  }
}

async function productOnce(a: tf.Tensor2D | tf.Tensor, b: tf.Tensor): Promise<void> {
  const c = tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
  try {
    await c.data();
  } finally {
    c.dispose();
  }
}
