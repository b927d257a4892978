/**
 * Where the image sits on the canvas: a scale and the canvas position of the image's top-left
 * corner, in CSS pixels. Pure functions, so zoom and pan are tested without a browser.
 */
export interface ViewTransform {
  scale: number;
  x: number;
  y: number;
}

/** Zoom limits: from a thumbnail-sized view to 32 screen pixels per image pixel. */
export const MIN_SCALE = 1 / 32;
export const MAX_SCALE = 32;
/** Scale change per wheel notch (100 delta units, the common mouse step). */
export const WHEEL_ZOOM_STEP = 1.15;

export function fitTransform(columns: number, rows: number, width: number, height: number): ViewTransform {
  const scale = Math.min(width / columns, height / rows);
  return { scale, x: (width - columns * scale) / 2, y: (height - rows * scale) / 2 };
}

export function actualSizeTransform(columns: number, rows: number, width: number, height: number): ViewTransform {
  return { scale: 1, x: Math.round((width - columns) / 2), y: Math.round((height - rows) / 2) };
}

/** Zooms by `factor` keeping the image point under (px, py) where it is. */
export function zoomAt(t: ViewTransform, factor: number, px: number, py: number): ViewTransform {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, t.scale * factor));
  const k = scale / t.scale;
  return { scale, x: px - (px - t.x) * k, y: py - (py - t.y) * k };
}

/** The image pixel under a canvas point, or null outside the image. */
export function imagePoint(
  t: ViewTransform,
  px: number,
  py: number,
  columns: number,
  rows: number,
): { x: number; y: number } | null {
  const x = Math.floor((px - t.x) / t.scale);
  const y = Math.floor((py - t.y) / t.scale);
  return x >= 0 && y >= 0 && x < columns && y < rows ? { x, y } : null;
}
