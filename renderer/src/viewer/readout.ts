/** The text the image view shows for numbers: window values and the pixel under the cursor. */
import type { FramePixels } from '../../../contract/index';
import { pixelValue } from './render';

export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) < 10 ? 2 : 1);
}

/** The pixel at an image point: its RGB, or its modality value (with `unit`) and stored value; '' off the image. */
export function pixelReadout(frame: FramePixels, point: { x: number; y: number } | null, unit: string): string {
  const value = point && pixelValue(frame, point.x, point.y);
  if (!point || !value) return '';
  if (frame.samplesPerPixel === 3)
    return `x ${point.x}, y ${point.y}: R ${value.stored[0]} G ${value.stored[1]} B ${value.stored[2]}`;
  const modality = formatNumber(value.modality[0]!);
  return `x ${point.x}, y ${point.y}: ${modality}${unit ? ` ${unit}` : ''} (stored ${value.stored[0]})`;
}
