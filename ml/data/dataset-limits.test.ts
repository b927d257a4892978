/**
 * Training input is held to the import's pixel limit: a frame read by path that is larger than
 * MAX_FRAME_PIXELS is refused by name before preprocessing copies it into floats.
 */
import { describe, expect, it } from 'vitest';
import { preprocessingSpecSchema, trainingDatasetSchema } from '../../contract/index';
import { prepareDataset } from './dataset';

describe('training input limits', () => {
  it('refuses a frame over the pixel limit by name, naming the image', async () => {
    const dataset = trainingDatasetSchema.parse({
      task: 'classification',
      classes: ['a', 'b'],
      samples: [{ id: 'huge', split: 'train', label: 0, image: { path: '/scans/huge.png', frameIndex: 0 } }],
    });
    // A reader that hands back what a decoder without the limit would: the header's size, with the pixels not yet there.
    const readFrame = async () => ({
      data: new Uint8Array(1),
      rows: 20_000,
      columns: 20_000,
      samplesPerPixel: 1 as const,
      rescaleSlope: 1,
      rescaleIntercept: 0,
    });
    await expect(
      prepareDataset(dataset, preprocessingSpecSchema.parse({ rows: 8, columns: 8 }), { readFrame }),
    ).rejects.toMatchObject({
      code: 'BAD_IMAGE',
      message: expect.stringMatching(
        /^Image "huge" cannot be used for training: This image is 20000×20000 pixels \(400 megapixels\), more than Loupe's limit of 268 megapixels per frame/,
      ),
    });
  });
});
