/**
 * Loupe's recording (recording.ts) on a device: outputs of programs whose uniforms share the
 * arena's chunks, with a submit every 15 programs (tfjs's default) and every 1,000 (three chunks
 * of uniforms in one submit), must hold their exact values, (x + i) times 2 or -1. Runs where Dawn finds an
 * adapter (Mesa's llvmpipe on CI, forced), as webgpu.test.ts does; recording.test.ts checks what
 * is recorded against tfjs's own recording, without a device.
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
  },
);
