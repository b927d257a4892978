/** wasm BatchMatMul/_FusedMatMul with transposed operands against the cpu backend. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it } from 'vitest';
import { expectClose, runOn, seededValues, sizeOf, startWasmWithLoupeKernels } from './kernel-test-support';

const CASES: { a: number[]; b: number[]; transposeA: boolean; transposeB: boolean }[] = [
  { a: [7, 13], b: [13, 5], transposeA: false, transposeB: false },
  { a: [13, 7], b: [13, 5], transposeA: true, transposeB: false },
  { a: [7, 13], b: [5, 13], transposeA: false, transposeB: true },
  { a: [13, 7], b: [5, 13], transposeA: true, transposeB: true },
  { a: [64, 300], b: [64, 33], transposeA: true, transposeB: false },
  { a: [3, 9, 4], b: [3, 6, 9], transposeA: true, transposeB: true },
  { a: [1, 1, 8], b: [1, 8, 1], transposeA: false, transposeB: false },
];

describe('wasm matrix products with transposed operands match cpu', () => {
  beforeAll(startWasmWithLoupeKernels);

  for (const c of CASES) {
    it(`a ${c.a}${c.transposeA ? 'ᵀ' : ''} · b ${c.b}${c.transposeB ? 'ᵀ' : ''}, plain and fused with bias + relu`, async () => {
      const a = seededValues(sizeOf(c.a), 31);
      const b = seededValues(sizeOf(c.b), 32);
      const compute = () => {
        const at = tf.tensor(a, c.a);
        const bt = tf.tensor(b, c.b);
        const plain = tf.matMul(at, bt, c.transposeA, c.transposeB);
        const bias = tf.tensor(seededValues(plain.shape[plain.rank - 1]!, 33));
        const fused = tf.fused.matMul({
          a: at,
          b: bt,
          transposeA: c.transposeA,
          transposeB: c.transposeB,
          bias,
          activation: 'relu',
        });
        // Batched with a leaky ReLU too: the unfused path must pass the activation's parameter.
        if (c.a.length === 3)
          return [
            plain,
            fused,
            tf.fused.matMul({
              a: at,
              b: bt,
              transposeA: c.transposeA,
              transposeB: c.transposeB,
              bias,
              activation: 'leakyrelu',
              leakyreluAlpha: 0.3,
            }),
          ];
        return [plain, fused];
      };
      const wasm = await runOn('wasm', compute);
      const cpu = await runOn('cpu', compute);
      expectClose(wasm[0]!, cpu[0]!, 'matMul');
      for (let i = 1; i < cpu.length; i++) expectClose(wasm[i]!, cpu[i]!, 'fused matMul');
    });
  }
});
