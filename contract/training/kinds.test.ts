/** What the contract refuses in detection and verification datasets and requests, with the user's words. */
import { describe, expect, it } from 'vitest';
import { describeIssues } from '../errors';
import { predictRequestSchema, trainingConfigSchema, trainingDatasetSchema } from '../index';

const frame = { data: new Uint8Array(4), rows: 2, columns: 2, samplesPerPixel: 1 };
const sample = (id: string, extra: object = {}, split = 'train') => ({ id, split, image: { frame }, ...extra });

function problems(
  schema: { safeParse(v: unknown): { success: boolean; error?: { issues: Parameters<typeof describeIssues>[0] } } },
  value: unknown,
): string {
  const result = schema.safeParse(value);
  return result.success ? '' : describeIssues(result.error!.issues);
}

describe('detection and verification datasets', () => {
  it.each([
    [
      'a detection image without boxes',
      { task: 'detection', classes: ['defect'], samples: [sample('a')] },
      /Image "a" has no boxes \(give \[\] for an image without objects\)/,
    ],
    [
      'a box of an unknown class',
      {
        task: 'detection',
        classes: ['defect'],
        samples: [sample('a', { boxes: [{ box: [0, 0, 1, 1], classId: 1 }] })],
      },
      /Box 1 of image "a" has class 1; the task has 1 classes/,
    ],
    [
      'an empty box',
      {
        task: 'detection',
        classes: ['defect'],
        samples: [sample('a', { boxes: [{ box: [2, 0, 2, 1], classId: 0 }] })],
      },
      /x2 > x1 and y2 > y1/,
    ],
    [
      'a detector without classes',
      { task: 'detection', classes: [], samples: [sample('a', { boxes: [] })] },
      /needs at least 1 classes/,
    ],
    [
      'classes for verification',
      { task: 'verification', classes: ['x', 'y'], samples: [sample('a')] },
      /Verification has no classes/,
    ],
    [
      'a pair across splits',
      {
        task: 'verification',
        samples: [sample('a'), sample('b', {}, 'test')],
        pairs: [{ a: 'a', b: 'b', same: true }],
      },
      /joins images of the train and test splits/,
    ],
    [
      'a pair with an unknown image',
      { task: 'verification', samples: [sample('a')], pairs: [{ a: 'a', b: 'z', same: true }] },
      /names image "z", which is not in the dataset/,
    ],
    [
      'an image paired with itself',
      { task: 'verification', samples: [sample('a')], pairs: [{ a: 'a', b: 'a', same: true }] },
      /pairs image "a" with itself/,
    ],
    [
      'pairs on a classification dataset',
      { task: 'classification', classes: ['n', 'y'], samples: [sample('a', { label: 0 })], pairs: [] },
      /Pairs belong to verification datasets/,
    ],
  ])('refuses %s', (_name, dataset, message) => {
    expect(problems(trainingDatasetSchema, dataset)).toMatch(message);
  });

  it('accepts a detector with one class, an image with no objects, and verification by identity and pairs', () => {
    expect(
      problems(trainingDatasetSchema, {
        task: 'detection',
        classes: ['defect'],
        samples: [sample('a', { boxes: [] }), sample('b', { boxes: [{ box: [0, 0, 1.5, 2], classId: 0 }] })],
      }),
    ).toBe('');
    expect(
      problems(trainingDatasetSchema, {
        task: 'verification',
        samples: [sample('a', { identity: 'part 7' }), sample('b')],
        pairs: [{ a: 'a', b: 'b', same: false }],
      }),
    ).toBe('');
  });
});

describe('detection and verification configs and requests', () => {
  it('fills the post-processing defaults of CenterNet and torchvision, and takes metric names with digits', () => {
    const config = trainingConfigSchema.parse({
      task: 'detection',
      model: { architecture: 'centernet', backbone: { architecture: 'resnet18', stem: 'small' }, outputStride: 4 },
      preprocessing: { rows: 64, columns: 64 },
      loss: { name: 'centernet', sizeLoss: 'giou' },
      detection: {},
      monitor: { metric: 'val_map50', mode: 'max' },
    });
    expect(config.detection).toEqual({
      scoreThreshold: 0.3,
      iouThreshold: 0.5,
      method: 'nms',
      sigma: 0.5,
      maxDetections: 100,
      classAgnostic: false,
      topK: 100,
    });
    expect(
      problems(trainingConfigSchema, {
        ...config,
        model: { architecture: 'centernet', backbone: { architecture: 'small-cnn' }, outputStride: 3 },
      }),
    ).not.toBe('');
    expect(
      problems(trainingConfigSchema, {
        ...config,
        model: { architecture: 'siamese', backbone: { architecture: 'unet' } },
      }),
    ).not.toBe('');
  });

  it('refuses predict pairs naming a frame that is not there', () => {
    expect(problems(predictRequestSchema, { modelDir: '/m', frames: [frame, frame], pairs: [{ a: 0, b: 2 }] })).toMatch(
      /Pair 1 names frame 2; there are 2 frames/,
    );
  });
});
