/**
 * Loupe's recording (recording.ts) on a device: outputs of programs whose uniforms share the
 * arena's chunks, with a submit every 15 programs (tfjs's default) and every 1,000 (three chunks
 * of uniforms in one submit), must hold their exact values, (x + i) times 2 or -1. Runs where Dawn finds an
 * adapter (Mesa's llvmpipe on CI, forced), as webgpu.test.ts does; recording.test.ts checks what
 * is recorded against tfjs's own recording, without a device. Fills with zeros, which Loupe records
 * as clearBuffer, must clear buffers tfjs's pool hands out again.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { initBackend } from '../select';
import { chooseAdapter } from './adapters';

const forced = await chooseAdapter(true).then(
  () => true,
  () => false,
);

afterEach(() => tf.env().reset());

describe.skipIf(!forced && process.env.CI !== 'true')(
  'the arena on a device (forced; on Mesa where there is no GPU)',
  () => {
    it.each([15, 1000])(
      '600 programs, a submit every %i: every output as on cpu',
      async (batch) => {
        await initBackend('webgpu');
        tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', batch);
        // On the GPU even though the tensors are small (tfjs runs small ops on values it holds on the CPU).
        tf.env().set('WEBGPU_CPU_FORWARD', false);
        // Programs with other shapes and uniforms in turn; at 1,000 a submit, three chunks of the arena.
        const shapes = [[24], [4, 6], [2, 3, 4], [2, 3, 2, 2], [1, 2, 3, 2, 2]];
        const base = tf.range(0, 24, 1, 'float32');
        const outputs = Array.from({ length: 600 }, (_, i) =>
          tf.tidy(() => tf.add(tf.reshape(base, shapes[i % shapes.length]!), i).mul(i % 3 === 0 ? -1 : 2)),
        );
        const values = await Promise.all(outputs.map((t) => t.data()));
        values.forEach((v, i) =>
          expect([...v], `output ${i}`).toEqual([...Array(24).keys()].map((x) => (x + i) * (i % 3 === 0 ? -1 : 2))),
        );
        tf.dispose([base, ...outputs]);
      },
      60_000,
    );

    it('fills with 0 in buffers that held other values, beside fills with 2 and −0', async () => {
      await initBackend('webgpu');
      tf.env().set('WEBGPU_CPU_FORWARD', false);
      for (let round = 0; round < 3; round++) {
        // Freed buffers of the same size go back to tfjs's pool, and the zeros take them.
        const held = Array.from({ length: 4 }, (_, i) => tf.add(tf.range(0, 1000, 1, 'float32'), i + 1));
        await Promise.all(held.map((t) => t.data()));
        tf.dispose(held);
        const filled = [tf.fill([1000], 0), tf.fill([1000], 2), tf.fill([1000], -0), tf.fill([10, 100], 0, 'int32')];
        const [zeros, twos, negativeZeros, intZeros] = await Promise.all(filled.map((t) => t.data()));
        expect(zeros!.every((v) => Object.is(v, 0))).toBe(true);
        expect(twos!.every((v) => v === 2)).toBe(true);
        expect(negativeZeros!.every((v) => Object.is(v, -0))).toBe(true);
        expect(intZeros!.every((v) => v === 0)).toBe(true);
        tf.dispose(filled);
      }
    });
  },
);
