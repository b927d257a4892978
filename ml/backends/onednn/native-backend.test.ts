/**
 * The oneDNN backend's tensor memory (native-backend.ts): tensors live outside the wasm heap, so
 * more than its 4 GiB can be held at once; a tensor past the backend's limit fails before any
 * allocation and leaves the backend working; reads are copies (a buffer written in place or
 * reused later never changes what a caller read); freed buffers are reused; and an op the addon
 * lacks runs on wasm with a copy, with wasm's values.
 *
 * The > 4 GiB case allocates buffers it never writes: the system maps their pages only when
 * touched, so the test holds 4.5 GiB of tensors without using that much memory.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fallbackCount, measureCoverage } from './coverage';
import { ONEDNN_ADDON, ONEDNN_REQUIRED, startOneDnn } from './oracle-test-support';
import { ONEDNN_TFJS_NAME, OneDnnBackend, TENSOR_MEMORY_ENV, TensorMemoryExhausted } from './native-backend';

const GIB = 2 ** 30;

describe.skipIf(!ONEDNN_ADDON && !ONEDNN_REQUIRED)('the oneDNN backend’s tensor memory', () => {
  beforeAll(startOneDnn);
  afterEach(() => {
    delete process.env[TENSOR_MEMORY_ENV];
  });

  it('holds more than the wasm heap’s 4 GiB of tensors and still computes', async () => {
    const backend = tf.backend() as OneDnnBackend;
    expect(tf.getBackend()).toBe(ONEDNN_TFJS_NAME);
    const before = tf.memory().numBytes;
    // 3 × 1.5 GiB, each too big for the pool, so each is a fresh, untouched buffer.
    const held = [0, 1, 2].map(() =>
      tf.engine().makeTensorFromTensorInfo(backend.makeOutput([(1.5 * GIB) / 4], 'float32')),
    );
    try {
      expect(tf.memory().numBytes - before).toBe(4.5 * GIB);
      const y = tf.tidy(() =>
        tf.conv2d(tf.ones([1, 4, 4, 1]) as tf.Tensor4D, tf.ones([3, 3, 1, 1]) as tf.Tensor4D, 1, 'same'),
      );
      expect(Array.from(await y.data())).toEqual([4, 6, 6, 4, 6, 9, 9, 6, 6, 9, 9, 6, 4, 6, 6, 4]);
      y.dispose();
    } finally {
      tf.dispose(held);
    }
    expect(tf.memory().numBytes).toBe(before);
  });

  it('refuses a tensor past its limit before allocating, and goes on working', () => {
    process.env[TENSOR_MEMORY_ENV] = String(1 / 1024); // 1 MiB
    const backend = new OneDnnBackend();
    const first = backend.makeOutput([2 ** 18], 'float32'); // exactly 1 MiB
    expect(() => backend.makeOutput([1], 'float32')).toThrow(TensorMemoryExhausted);
    expect(() => backend.write(new Float32Array(1), [1], 'float32')).toThrow(TensorMemoryExhausted);
    expect(backend.numDataIds()).toBe(1);
    backend.disposeData(first.dataId);
    const again = backend.makeOutput([2 ** 18], 'float32');
    backend.floats(again).fill(2);
    expect(Array.from((backend.readSync(again.dataId) as Float32Array).subarray(0, 2))).toEqual([2, 2]);
    backend.disposeData(again.dataId);
    backend.dispose();
  });

  it('reads copies, and reuses a freed buffer of the same size', () => {
    const backend = new OneDnnBackend();
    const source = new Float32Array([1, 2, 3]);
    const a = backend.write(source, [3], 'float32');
    source[0] = 9; // the caller's array is not the tensor's
    const read = backend.readSync(a) as Float32Array;
    expect(Array.from(read)).toEqual([1, 2, 3]);
    backend.floats({ dataId: a, shape: [3], dtype: 'float32' })[1] = 7; // an in-place write, as Adam's
    expect(Array.from(read)).toEqual([1, 2, 3]);
    const buffer = backend.floats({ dataId: a, shape: [3], dtype: 'float32' }).buffer;
    backend.disposeData(a);
    expect(backend.memory().pooledBytes).toBe(12);
    const b = backend.makeOutput([3], 'float32');
    expect(backend.floats(b).buffer).toBe(buffer);
    expect(backend.memory().pooledBytes).toBe(0);
    backend.dispose();
  });

  it('runs an op the addon lacks on wasm with a copy, with wasm’s values, counted as a fallback', async () => {
    const compute = () => tf.tidy(() => tf.softmax(tf.tensor2d([1, 2, 3, 4, 5, 7], [2, 3])).transpose());
    await tf.setBackend('wasm');
    const expected = await compute().data();
    await tf.setBackend(ONEDNN_TFJS_NAME);
    let actual: Float32Array | undefined;
    const coverage = await measureCoverage(async () => {
      const y = compute();
      actual = (await y.data()) as Float32Array;
      y.dispose();
    });
    expect(Array.from(actual!)).toEqual(Array.from(expected));
    expect(coverage.fallbacks).toMatchObject({ Softmax: 1, Transpose: 1 });
    expect(fallbackCount(coverage)).toBeGreaterThanOrEqual(2);
  });
});
