import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { lossConfigSchema, type LossConfig } from '../../contract/index';
import { SeededRandom } from '../data/random';
import { runReference } from '../../tests/helpers/python-reference';
import { createLoss } from './index';

/** float32 against PyTorch's float64. */
const TOLERANCE = 2e-5;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface LossCase {
  config: LossConfig;
  shape: number[];
  numClasses: number;
  outputChannels: number;
  task: 'classification' | 'segmentation';
  logits: number[];
  labels: number[];
}

function makeCase(
  rng: SeededRandom,
  input: unknown,
  shape: number[],
  numClasses: number,
  task: LossCase['task'],
): LossCase {
  const config = lossConfigSchema.parse(input);
  const outputChannels = shape.at(-1)!;
  const count = shape.reduce((a, b) => a * b, 1);
  const logits = Array.from({ length: count }, () => rng.uniform(-3, 3));
  const labels = Array.from({ length: count / outputChannels }, () => rng.int(numClasses));
  return { config, shape, numClasses, outputChannels, task, logits, labels };
}

describe('losses match PyTorch', () => {
  const rng = new SeededRandom(3);
  const cases: LossCase[] = [
    makeCase(rng, { name: 'cross-entropy' }, [6, 3], 3, 'classification'),
    makeCase(rng, { name: 'cross-entropy', labelSmoothing: 0.1 }, [8, 4], 4, 'classification'),
    makeCase(rng, { name: 'cross-entropy', classWeights: [0.2, 1, 3] }, [9, 3], 3, 'classification'),
    makeCase(rng, { name: 'cross-entropy', classWeights: [2, 0.5], labelSmoothing: 0.2 }, [7, 2], 2, 'classification'),
    makeCase(rng, { name: 'cross-entropy', classWeights: [1, 2, 3] }, [2, 4, 4, 3], 3, 'segmentation'),
    makeCase(rng, { name: 'focal' }, [10, 3], 3, 'classification'),
    makeCase(rng, { name: 'focal', gamma: 0.5, alpha: [0.25, 0.75] }, [10, 2], 2, 'classification'),
    makeCase(rng, { name: 'bce' }, [2, 5, 5, 1], 2, 'segmentation'),
    makeCase(rng, { name: 'bce', positiveWeight: 4 }, [3, 4, 4, 1], 2, 'segmentation'),
    makeCase(rng, { name: 'dice', smooth: 1 }, [2, 6, 6, 1], 2, 'segmentation'),
    makeCase(rng, { name: 'bce-dice', bceWeight: 0.5, diceWeight: 2 }, [3, 4, 4, 1], 2, 'segmentation'),
  ];
  const reference = runReference<{ losses: number[] }>('torch_training.py', { losses: cases });

  it.each(cases.map((c, i) => [`${i}: ${c.config.name} ${JSON.stringify(c.config)}`, c, i] as const))(
    '%s',
    (_name, c, i) => {
      const loss = createLoss(c.config, { task: c.task, numClasses: c.numClasses, outputChannels: c.outputChannels });
      const before = tf.memory().numTensors;
      const logits = tf.tensor(c.logits, c.shape);
      const labels = tf.tensor(c.labels, c.shape.slice(0, -1), 'int32');
      const value = loss(labels, logits);
      const got = value.dataSync()[0]!;
      tf.dispose([logits, labels, value]);
      expect(tf.memory().numTensors).toBe(before);
      expect(Math.abs(got - reference.losses[i]!)).toBeLessThan(
        TOLERANCE * Math.max(1, Math.abs(reference.losses[i]!)),
      );
    },
  );

  it('treats one sigmoid channel as two-class softmax for cross-entropy', () => {
    const config: LossConfig = { name: 'cross-entropy', labelSmoothing: 0 };
    const ce = createLoss(config, { task: 'segmentation', numClasses: 2, outputChannels: 1 });
    const z = tf.tensor([[1.5], [-0.5], [2]]);
    const y = tf.tensor([1, 0, 0], [3], 'int32');
    const expected = tf.losses.sigmoidCrossEntropy(tf.tensor([[1], [0], [0]]), z).dataSync()[0]!;
    expect(ce(y, z).dataSync()[0]).toBeCloseTo(expected, 5);
  });

  it('refuses configurations that cannot fit the output, saying why', () => {
    const bce: LossConfig = { name: 'bce', positiveWeight: 1 };
    const dice: LossConfig = { name: 'dice', smooth: 1, includeBackground: false };
    const weighted: LossConfig = { name: 'cross-entropy', labelSmoothing: 0, classWeights: [1, 2] };
    expect(() => createLoss(bce, { task: 'segmentation', numClasses: 3, outputChannels: 3 })).toThrow(/two-class task/);
    expect(() => createLoss(dice, { task: 'classification', numClasses: 2, outputChannels: 2 })).toThrow(
      /for segmentation/,
    );
    expect(() => createLoss(weighted, { task: 'classification', numClasses: 3, outputChannels: 3 })).toThrow(
      /classWeights has 2 values but the task has 3 classes/,
    );
    expect(() => createLoss({ name: 'giou' }, { task: 'classification', numClasses: 2, outputChannels: 2 })).toThrow(
      /no loss called "giou"/,
    );
  });
});
