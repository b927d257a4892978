import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { DecodedFrame } from '../../../ml/decode/types';
import { heatmapPng, jet, OVERLAY_MAX_OPACITY, overlayPixels, overlayPng } from './heatmap-png';

/** A 16-bit CT-like frame, 4 × 2, stored values 1000…3100 with no window of its own. */
function frame16(): DecodedFrame {
  return {
    frame: 0,
    rows: 2,
    columns: 4,
    samplesPerPixel: 1,
    bitsAllocated: 16,
    bitsStored: 16,
    pixelRepresentation: 0,
    photometricInterpretation: 'MONOCHROME2',
    transferSyntaxUID: null,
    rescaleSlope: 1,
    rescaleIntercept: -1024,
    windowCenter: null,
    windowWidth: null,
    data: Uint16Array.from([1000, 1300, 1600, 1900, 2200, 2500, 2800, 3100]),
    minValue: 1000,
    maxValue: 3100,
  };
}

const heatmap = { values: Float32Array.from([0, 0, 0, 0, 0, 0.5, 1, 0]), rows: 2, columns: 4 };

async function raw(png: Buffer): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

describe('heatmap PNGs', () => {
  it('jet runs dark blue → cyan → yellow → dark red (OpenCV COLORMAP_JET)', () => {
    expect(jet(0)).toEqual([0, 0, 128]);
    expect(jet(0.25)).toEqual([0, 128, 255]);
    expect(jet(0.5)).toEqual([128, 255, 128]);
    expect(jet(0.75)).toEqual([255, 128, 0]);
    expect(jet(1)).toEqual([128, 0, 0]);
  });

  it('writes the heatmap as one 8-bit grey channel at the image size, 255 at the peak', async () => {
    const png = await heatmapPng(heatmap);
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height, meta.channels, meta.depth]).toEqual([4, 2, 1, 'uchar']);
    // sharp decodes grey to sRGB unless told otherwise; the first channel is the grey level.
    const grey = await sharp(png).extractChannel(0).raw().toBuffer();
    expect(Array.from(grey)).toEqual([0, 0, 0, 0, 0, 128, 255, 0]);
  });

  it('windows 16-bit pixels over their range (never truncates them) and blends the colour by the heatmap', async () => {
    const pixels = overlayPixels(frame16(), heatmap);
    // Where the heatmap is 0 the overlay is the image alone: stored 1000 → 0, 3100 → 255 (full range).
    expect(Array.from(pixels.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(pixels.subarray(7 * 3, 8 * 3))).toEqual([255, 255, 255]);
    // At the peak: OVERLAY_MAX_OPACITY of jet(1) over the display level of stored 2800.
    const level = Math.round(((2800 - 1000) / 2100) * 255);
    const hot = jet(1);
    expect(Array.from(pixels.subarray(6 * 3, 7 * 3))).toEqual(
      hot.map((c) => Math.round((1 - OVERLAY_MAX_OPACITY) * level + OVERLAY_MAX_OPACITY * c)),
    );
    const png = await raw(await overlayPng(frame16(), heatmap));
    expect([png.width, png.height, png.channels]).toEqual([4, 2, 3]);
    expect(Array.from(png.data)).toEqual(Array.from(pixels));
  });

  it('refuses a heatmap of another size than the image', () => {
    expect(() => overlayPixels(frame16(), { ...heatmap, columns: 2, rows: 4 })).toThrow(/4×2/);
  });
});
