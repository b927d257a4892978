import { describe, expect, it } from 'vitest';
import type { ReplyOf, ReviewQueueItem } from '../../../contract/index';
import { cellItems } from './confusion-review';

const item = (imageId: number, labelClassIds: number[], predicted: number): ReviewQueueItem => ({
  imageId,
  fileName: `${imageId}.png`,
  prediction: {
    classes: ['normal', 'lesion'],
    probabilities: predicted ? [0.2, 0.8] : [0.8, 0.2],
    predicted,
    predictedClass: predicted ? 'lesion' : 'normal',
    temperature: null,
  },
  entropy: 0.5,
  margin: 0.6,
  score: 0.8,
  labelClassIds,
  disagrees: false,
  verdict: null,
});

const queue: ReplyOf<'review.queue'> = {
  runId: 'r',
  taskId: 1,
  taskName: 't',
  classes: [
    { name: 'normal', classId: 11 },
    { name: 'lesion', classId: 12 },
  ],
  weightsSha256: 'x',
  items: [item(1, [11], 0), item(2, [11], 1), item(3, [12], 1), item(4, [], 1), item(5, [11, 12], 1)],
  leftOut: 0,
};

describe('cellItems', () => {
  it.each([
    [0, 0, [1]],
    [0, 1, [2]],
    [1, 1, [3]],
    [1, 0, []],
  ])('row %i, column %i → images %j (unlabelled and several-class images in no cell)', (t, p, ids) =>
    expect(cellItems(queue, { trueIndex: t, predictedIndex: p }).map((i) => i.imageId)).toEqual(ids),
  );
  it('finds nothing for a model class the task no longer has', () => {
    const renamed = { ...queue, classes: [queue.classes[0]!, { name: 'lesion', classId: null }] };
    expect(cellItems(renamed, { trueIndex: 1, predictedIndex: 1 })).toEqual([]);
  });
});
