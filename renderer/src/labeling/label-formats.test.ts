import { describe, expect, it } from 'vitest';
import { fittingFormat, formatsFor } from './label-formats';

describe('label interchange formats offered', () => {
  it('offers only the formats that carry the task kind', () => {
    expect(formatsFor('classification')).toEqual(['csv', 'imagefolder']);
    expect(formatsFor('verification')).toEqual(['csv']);
    expect(formatsFor('detection')).toEqual(['coco', 'yolo', 'voc']);
    expect(formatsFor('segmentation')).toEqual(['coco', 'yolo', 'masks', 'image-mask']);
    expect(formatsFor(null)).toEqual(['coco', 'yolo', 'voc', 'masks', 'csv', 'imagefolder', 'image-mask']);
  });

  it('keeps a fitting choice and replaces one that would be refused', () => {
    expect(fittingFormat('classification', 'coco')).toBe('csv');
    expect(fittingFormat('detection', 'voc')).toBe('voc');
    expect(fittingFormat('segmentation', 'voc')).toBe('coco');
    expect(fittingFormat(null, 'masks')).toBe('masks');
  });
});
