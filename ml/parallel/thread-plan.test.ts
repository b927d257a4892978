import { describe, expect, it } from 'vitest';
import type { LossConfig } from '../../contract/index';
import { MIN_BATCH_TO_SPLIT } from './data-parallel';
import { planThreads, type ThreadPlanArgs } from './thread-plan';

const crossEntropy: LossConfig = { name: 'cross-entropy', labelSmoothing: 0 };
const base: ThreadPlanArgs = {
  requested: 'auto',
  task: 'classification',
  loss: crossEntropy,
  batchSize: MIN_BATCH_TO_SPLIT,
  inputPixels: 32 * 32,
  backend: 'wasm',
  secondCore: true,
  cores: 2,
};

describe('planThreads', () => {
  it('auto: two threads only where a batch is big enough, a second core is free and the backend is single-threaded', () => {
    expect(planThreads(base)).toEqual({ threads: 2, minBatchToSplit: MIN_BATCH_TO_SPLIT });
    expect(planThreads({ ...base, batchSize: MIN_BATCH_TO_SPLIT - 1 })).toMatchObject({
      threads: 1,
      note: expect.stringMatching(/batches of 31 are too small to split with profit \(from 32/),
    });
    // Fewer, larger images carry as much work per step: a 128 × 128 U-Net splits from 2 images.
    const unet = {
      ...base,
      backend: 'cpu',
      task: 'segmentation' as const,
      loss: { name: 'bce-dice' as const, bceWeight: 1, diceWeight: 1, smooth: 1e-5 },
      batchSize: 8,
      inputPixels: 128 * 128,
    };
    expect(planThreads(unet)).toEqual({ threads: 2, minBatchToSplit: 2 });
    expect(planThreads({ ...unet, inputPixels: 64 * 64, batchSize: 8 })).toEqual({ threads: 2, minBatchToSplit: 8 });
    expect(planThreads({ ...unet, inputPixels: 64 * 64, batchSize: 4 })).toMatchObject({ threads: 1 });
    expect(planThreads({ ...base, secondCore: false })).toMatchObject({
      threads: 1,
      note: expect.stringMatching(/one core/),
    });
    expect(planThreads({ ...base, backend: 'tensorflow' })).toMatchObject({
      threads: 1,
      note: expect.stringMatching(/already uses every core/),
    });
  });

  it('keeps one thread where splitting would change the gradient, and refuses two there', () => {
    const weighted: ThreadPlanArgs = {
      ...base,
      loss: { name: 'cross-entropy', labelSmoothing: 0, classWeights: [1, 3] },
    };
    expect(planThreads(weighted)).toMatchObject({ threads: 1, note: expect.stringMatching(/class weights/) });
    expect(() => planThreads({ ...weighted, requested: 2 })).toThrow(/would change this run's gradients/);
    expect(planThreads({ ...base, task: 'detection' })).toMatchObject({ threads: 1 });
  });

  it('on oneDNN, caps its threads (auto: every core) for any task and loss, and never cuts a batch', () => {
    expect(planThreads({ ...base, backend: 'onednn', cores: 16 })).toEqual({ threads: 16, native: true });
    expect(planThreads({ ...base, backend: 'onednn', requested: 1 })).toEqual({ threads: 1, native: true });
    expect(
      planThreads({
        ...base,
        backend: 'onednn',
        requested: 2,
        task: 'detection',
        loss: { name: 'cross-entropy', labelSmoothing: 0, classWeights: [1, 3] },
      }),
    ).toEqual({ threads: 2, native: true });
  });

  it('honours an explicit choice otherwise, whatever the batch size', () => {
    expect(planThreads({ ...base, requested: 1 })).toEqual({ threads: 1 });
    expect(planThreads({ ...base, requested: 2, batchSize: 4, secondCore: false })).toEqual({
      threads: 2,
      minBatchToSplit: 2,
    });
  });
});
