import { describe, expect, it } from 'vitest';
import { frameMaskName, frameOfMaskStem, indexFrameMasks, maskFilesOf, readMaskFrames } from './frame-masks';

describe('per-frame mask files', () => {
  it('names a frame zero-padded to three digits, wider when the image has more frames, and reads it back', () => {
    expect(frameMaskName('ct', 12, 40)).toBe('ct_f012.png');
    expect(frameMaskName('ct', 7, 1500)).toBe('ct_f0007.png');
    expect(frameMaskName('ct', 0, 1)).toBe('ct.png');
    expect(frameOfMaskStem('ct_f012')).toEqual({ stem: 'ct', frame: 12 });
    expect(frameOfMaskStem('a_f1_f0007')).toEqual({ stem: 'a_f1', frame: 7 });
    expect(frameOfMaskStem('ct')).toBeNull();
  });

  it("prefers an image's own mask to per-frame PNGs, which come in frame order", () => {
    const masks = new Map([
      ['x_f002', 'x_f002.png'],
      ['x_f000', 'x_f000.png'],
      ['y', 'y.nii.gz'],
      ['y_f001', 'y_f001.png'],
      ['z_f003', 'z_f003.nii.gz'],
    ]);
    const framed = indexFrameMasks(masks);
    expect(maskFilesOf(['x'], masks, framed)).toEqual([
      { name: 'x_f000.png', frame: 0 },
      { name: 'x_f002.png', frame: 2 },
    ]);
    expect(maskFilesOf(['y'], masks, framed)).toEqual([{ name: 'y.nii.gz', frame: null }]);
    // Only PNGs name single frames; a NIfTI file is a whole label map.
    expect(maskFilesOf(['z'], masks, framed)).toEqual([]);
  });

  it('puts a label map’s slices on their frames and refuses frame masks of different sizes', async () => {
    const slices = { width: 2, height: 1, slices: [Uint8Array.of(1, 0), Uint8Array.of(0, 2)] };
    const whole = await readMaskFrames(
      [{ name: 'v.nii.gz', frame: null }],
      async () => slices,
      (n) => n,
    );
    expect('frames' in whole && [...whole.frames.keys()]).toEqual([0, 1]);
    const sizes = new Map([
      ['a_f000.png', { width: 2, height: 1, slices: [Uint8Array.of(1, 1)] }],
      ['a_f001.png', { width: 1, height: 2, slices: [Uint8Array.of(1, 1)] }],
    ]);
    const files = [
      { name: 'a_f000.png', frame: 0 },
      { name: 'a_f001.png', frame: 1 },
    ];
    expect(
      await readMaskFrames(
        files,
        async (n) => sizes.get(n)!,
        (n) => `masks/${n}`,
      ),
    ).toEqual({
      where: 'masks/a_f001.png',
      reason: "is 1×2 but the image's other frame masks are 2×1",
    });
  });
});
