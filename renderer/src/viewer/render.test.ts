import { describe, expect, it } from 'vitest';
import type { FramePixels } from '../../../contract/index';
import { defaultWindow, pixelValue, renderFrame, windowLevel } from './render';
import { actualSizeTransform, fitTransform, imagePoint, zoomAt } from './view-transform';

function frame(overrides: Partial<FramePixels>): FramePixels {
  return {
    id: 1,
    frame: 0,
    rows: 1,
    columns: 4,
    samplesPerPixel: 1,
    photometricInterpretation: 'MONOCHROME2',
    rescaleSlope: 1,
    rescaleIntercept: 0,
    modalityUnit: '',
    windows: [],
    minValue: 0,
    maxValue: 0,
    data: new Uint8Array(4),
    ...overrides,
  };
}

describe('windowLevel (PS3.3 C.11.2.1.2.1)', () => {
  it.each([
    // center, width, value → level
    [40, 80, -1, 0],
    [40, 80, 0, 0],
    [40, 80, 40, 129],
    [40, 80, 79, 255],
    [40, 80, 1000, 255],
    [0, 1, -1, 0],
    [0, 1, 0, 255],
  ])('C %d W %d: %d → %d', (center, width, value, level) => {
    expect(windowLevel(value, { center, width })).toBe(level);
  });
});

describe('renderFrame', () => {
  it('rescales 16-bit stored values to HU before windowing', () => {
    const ct = frame({
      data: new Uint16Array([0, 1024, 1064, 4095]),
      minValue: 0,
      maxValue: 4095,
      rescaleIntercept: -1024,
      modalityUnit: 'HU',
    });
    const out = new Uint8ClampedArray(16);
    renderFrame(ct, { center: 40, width: 80 }, out);
    expect([out[0], out[4], out[8], out[12]]).toEqual([
      0,
      windowLevel(0, { center: 40, width: 80 }),
      windowLevel(40, { center: 40, width: 80 }),
      255,
    ]);
    expect(out[3]).toBe(255);
  });

  it('inverts MONOCHROME1 and handles signed data', () => {
    const mono1 = frame({
      data: new Int16Array([-100, 0, 100, 50]),
      minValue: -100,
      maxValue: 100,
      photometricInterpretation: 'MONOCHROME1',
    });
    const out = new Uint8ClampedArray(16);
    renderFrame(mono1, { center: 0, width: 101 }, out);
    expect([out[0], out[8]]).toEqual([255, 0]);
  });

  it('windows each colour channel of RGB', () => {
    const rgb = frame({
      columns: 1,
      samplesPerPixel: 3,
      photometricInterpretation: 'RGB',
      data: new Uint8Array([0, 128, 255]),
      maxValue: 255,
    });
    const out = new Uint8ClampedArray(4);
    renderFrame(rgb, defaultWindow(rgb), out);
    expect(Array.from(out)).toEqual([0, 128, 255, 255]);
  });

  it('opens with the file window, else the value range', () => {
    expect(
      defaultWindow(
        frame({
          windows: [
            { center: 40, width: 400 },
            { center: 300, width: 1500 },
          ],
        }),
      ),
    ).toEqual({ center: 40, width: 400 });
    expect(defaultWindow(frame({ minValue: 24, maxValue: 2024, rescaleIntercept: -1024 }))).toEqual({
      center: 0,
      width: 2000,
    });
  });

  it('reads the modality value under a pixel', () => {
    const ct = frame({ data: new Int16Array([5, 6, 7, 8]), rescaleSlope: 2, rescaleIntercept: -10 });
    expect(pixelValue(ct, 2, 0)).toEqual({ stored: [7], modality: [4] });
    expect(pixelValue(ct, 4, 0)).toBeNull();
  });
});

describe('view transform', () => {
  it('fits and centres, shows 1:1, and zooms about the cursor', () => {
    const fit = fitTransform(200, 100, 400, 400);
    expect(fit).toEqual({ scale: 2, x: 0, y: 100 });
    expect(actualSizeTransform(200, 100, 400, 400)).toEqual({ scale: 1, x: 100, y: 150 });
    const zoomed = zoomAt(fit, 2, 100, 150);
    expect(imagePoint(zoomed, 100, 150, 200, 100)).toEqual(imagePoint(fit, 100, 150, 200, 100));
    expect(imagePoint(fit, 399, 299, 200, 100)).toEqual({ x: 199, y: 99 });
    expect(imagePoint(fit, 10, 10, 200, 100)).toBeNull();
  });
});
