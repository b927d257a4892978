/**
 * Heatmaps as PNG files, the one place `loupe explain` and `loupe predict --explain` write them:
 * the heatmap as an 8-bit grey image at the source image's own size (255 at the peak), and an
 * overlay, the image through its default window/level (as its thumbnail) with the heatmap
 * colour-mapped and blended on it. 16-bit and float pixels are windowed, never truncated.
 */
import { LoupeError } from '../../../contract/index';
import { MAX_FRAME_PIXELS } from '../../../ml/decode/limits';
import { loadSharp } from '../../../ml/decode/sharp-module';
import { displayBytes } from '../../../ml/decode/thumbnail';
import type { DecodedFrame } from '../../../ml/decode/types';

/** A heatmap on a frame's pixels: row-major `rows × columns`, values in [0, 1]. */
export interface PixelHeatmap {
  values: Float32Array;
  rows: number;
  columns: number;
}

/**
 * Opacity of the colour at the heatmap's peak; it falls to 0 where the heatmap is 0, so the
 * image stays readable where the model did not look, and under the hottest part too.
 */
export const OVERLAY_MAX_OPACITY = 0.6;
/** zlib level: heatmaps are smooth, so a middle level compresses them nearly as well as the top one. */
const PNG_COMPRESSION_LEVEL = 6;

/**
 * The jet colour map, as in the Grad-CAM paper's figures and OpenCV's COLORMAP_JET that most
 * Grad-CAM tools use: dark blue (0) through cyan, yellow, to dark red (1). Returns 8-bit RGB.
 */
export function jet(value: number): [number, number, number] {
  const v = Math.min(1, Math.max(0, value));
  const channel = (centre: number): number =>
    Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * v - centre))));
  return [channel(3), channel(2), channel(1)];
}

/** The heatmap's values as 8-bit grey levels (0 → 0, 1 → 255). */
export function heatmapGrey(heatmap: PixelHeatmap): Uint8Array {
  const out = new Uint8Array(heatmap.values.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(255 * Math.min(1, Math.max(0, heatmap.values[i]!)));
  return out;
}

/** 8-bit grey or RGB pixels, row-major, as a PNG. */
export async function encodePng(pixels: Uint8Array, columns: number, rows: number, channels: 1 | 3): Promise<Buffer> {
  const sharp = await loadSharp();
  let image = sharp(pixels, { raw: { width: columns, height: rows, channels }, limitInputPixels: MAX_FRAME_PIXELS });
  // Without this sharp writes one-channel input as RGB.
  if (channels === 1) image = image.toColourspace('b-w');
  return image.png({ compressionLevel: PNG_COMPRESSION_LEVEL, palette: false }).toBuffer();
}

export function heatmapPng(heatmap: PixelHeatmap): Promise<Buffer> {
  return encodePng(heatmapGrey(heatmap), heatmap.columns, heatmap.rows, 1);
}

/** The frame's display RGB with the jet-coloured heatmap blended on, OVERLAY_MAX_OPACITY at the peak. */
export function overlayPixels(frame: DecodedFrame, heatmap: PixelHeatmap): Uint8Array {
  if (frame.rows !== heatmap.rows || frame.columns !== heatmap.columns)
    throw new LoupeError(
      'INTERNAL',
      `The heatmap is ${heatmap.columns}×${heatmap.rows} pixels but the image is ${frame.columns}×${frame.rows}.`,
    );
  if (frame.samplesPerPixel !== 1 && frame.samplesPerPixel !== 3)
    throw new LoupeError(
      'BAD_IMAGE',
      `The image has ${frame.samplesPerPixel} samples per pixel; overlays are drawn on grey or colour images.`,
    );
  const display = displayBytes(frame);
  const colour = frame.samplesPerPixel === 3;
  const out = new Uint8Array(heatmap.values.length * 3);
  for (let i = 0; i < heatmap.values.length; i++) {
    const value = Math.min(1, Math.max(0, heatmap.values[i]!));
    const alpha = OVERLAY_MAX_OPACITY * value;
    const hot = jet(value);
    for (let c = 0; c < 3; c++) {
      const base = colour ? display[i * 3 + c]! : display[i]!;
      out[i * 3 + c] = Math.round((1 - alpha) * base + alpha * hot[c]!);
    }
  }
  return out;
}

export function overlayPng(frame: DecodedFrame, heatmap: PixelHeatmap): Promise<Buffer> {
  return encodePng(overlayPixels(frame, heatmap), frame.columns, frame.rows, 3);
}

/** Colour and width of a box's outline on its overlay: white reads on the jet colours and on grey. */
const BOX_OUTLINE_RGB = [255, 255, 255] as const;
const BOX_OUTLINE_PIXELS = 1;

/** The overlay of one detected box's heatmap, with the box outlined (`box` is [x1, y1, x2, y2] in image pixels). */
export function boxOverlayPng(
  frame: DecodedFrame,
  heatmap: PixelHeatmap,
  box: readonly [number, number, number, number],
): Promise<Buffer> {
  const pixels = overlayPixels(frame, heatmap);
  const clampX = (v: number): number => Math.min(Math.max(Math.round(v), 0), frame.columns - 1);
  const clampY = (v: number): number => Math.min(Math.max(Math.round(v), 0), frame.rows - 1);
  const [x1, y1, x2, y2] = [clampX(box[0]), clampY(box[1]), clampX(box[2] - 1), clampY(box[3] - 1)];
  for (let y = y1; y <= y2; y++)
    for (let x = x1; x <= x2; x++) {
      const edge = Math.min(x - x1, x2 - x, y - y1, y2 - y) < BOX_OUTLINE_PIXELS;
      if (edge) pixels.set(BOX_OUTLINE_RGB, (y * frame.columns + x) * 3);
    }
  return encodePng(pixels, frame.columns, frame.rows, 3);
}
