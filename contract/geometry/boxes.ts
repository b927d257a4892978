/**
 * Box math for the box tool: draw, move, resize by a handle, nudge, hit-test. Boxes are
 * continuous source-pixel rectangles, x1 < x2 and y1 < y2, kept inside the image.
 */
import type { Point } from './brush';

export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export const BOX_HANDLES = ['nw', 'n', 'ne', 'e', 'se', 's', 'sw', 'w'] as const;
export type BoxHandle = (typeof BOX_HANDLES)[number];

/** Smallest box side, in source pixels: a box must cover at least one pixel's width. */
export const MIN_BOX_SIZE = 1;

/** Arrow-key nudge steps in source pixels: plain, and with Shift. */
export const NUDGE_STEP = 1;
export const NUDGE_STEP_LARGE = 10;

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** The box spanned by two corners (any order), clamped to the image; null when too small. */
export function boxFromCorners(a: Point, b: Point, width: number, height: number): Box | null {
  const box = {
    x1: clamp(Math.min(a.x, b.x), 0, width),
    y1: clamp(Math.min(a.y, b.y), 0, height),
    x2: clamp(Math.max(a.x, b.x), 0, width),
    y2: clamp(Math.max(a.y, b.y), 0, height),
  };
  return box.x2 - box.x1 >= MIN_BOX_SIZE && box.y2 - box.y1 >= MIN_BOX_SIZE ? box : null;
}

/** The box moved by (dx, dy), stopped at the image edges without changing its size. */
export function moveBox(box: Box, dx: number, dy: number, width: number, height: number): Box {
  const w = box.x2 - box.x1;
  const h = box.y2 - box.y1;
  const x1 = clamp(box.x1 + dx, 0, Math.max(0, width - w));
  const y1 = clamp(box.y1 + dy, 0, Math.max(0, height - h));
  return { x1, y1, x2: x1 + w, y2: y1 + h };
}

/** Arrow-key nudge: one pixel, or NUDGE_STEP_LARGE with Shift. */
export function nudgeBox(
  box: Box,
  direction: 'left' | 'right' | 'up' | 'down',
  large: boolean,
  width: number,
  height: number,
): Box {
  const step = large ? NUDGE_STEP_LARGE : NUDGE_STEP;
  const [dx, dy] = { left: [-step, 0], right: [step, 0], up: [0, -step], down: [0, step] }[direction] as [
    number,
    number,
  ];
  return moveBox(box, dx, dy, width, height);
}

/**
 * The box with the handle's edges dragged to `to`. Dragging past the opposite edge flips the box
 * (as every drawing program does) instead of inverting it; the result stays ≥ MIN_BOX_SIZE and in
 * the image. Returns the handle now under the pointer, which changes when the box flips.
 */
export function resizeBox(
  box: Box,
  handle: BoxHandle,
  to: Point,
  width: number,
  height: number,
): { box: Box; handle: BoxHandle } {
  let { x1, y1, x2, y2 } = box;
  const x = clamp(to.x, 0, width);
  const y = clamp(to.y, 0, height);
  let h = handle as string;
  if (h.includes('w')) x1 = x;
  if (h.includes('e')) x2 = x;
  if (h.includes('n')) y1 = y;
  if (h.includes('s')) y2 = y;
  if (x1 > x2) {
    [x1, x2] = [x2, x1];
    h = h.replace(/[we]/, (c) => (c === 'w' ? 'e' : 'w'));
  }
  if (y1 > y2) {
    [y1, y2] = [y2, y1];
    h = h.replace(/[ns]/, (c) => (c === 'n' ? 's' : 'n'));
  }
  // Keep the edge being dragged as the one that gives way when the box gets too small.
  if (x2 - x1 < MIN_BOX_SIZE) {
    if (h.includes('w')) x1 = Math.max(0, x2 - MIN_BOX_SIZE);
    else x2 = Math.min(width, x1 + MIN_BOX_SIZE);
  }
  if (y2 - y1 < MIN_BOX_SIZE) {
    if (h.includes('n')) y1 = Math.max(0, y2 - MIN_BOX_SIZE);
    else y2 = Math.min(height, y1 + MIN_BOX_SIZE);
  }
  return { box: { x1, y1, x2, y2 }, handle: h as BoxHandle };
}

/** Where a handle sits on the box. */
export function handlePoint(box: Box, handle: BoxHandle): Point {
  const cx = (box.x1 + box.x2) / 2;
  const cy = (box.y1 + box.y2) / 2;
  return {
    x: handle.includes('w') ? box.x1 : handle.includes('e') ? box.x2 : cx,
    y: handle.includes('n') ? box.y1 : handle.includes('s') ? box.y2 : cy,
  };
}

/**
 * What the pointer is over: a handle (within `tolerance` source pixels; the caller converts its
 * screen tolerance by the zoom), the inside of the box, or nothing.
 */
export function hitTestBox(box: Box, point: Point, tolerance: number): BoxHandle | 'inside' | null {
  let best: BoxHandle | null = null;
  let bestDistance = tolerance;
  for (const handle of BOX_HANDLES) {
    const p = handlePoint(box, handle);
    const d = Math.max(Math.abs(p.x - point.x), Math.abs(p.y - point.y));
    if (d <= bestDistance) {
      best = handle;
      bestDistance = d;
    }
  }
  if (best) return best;
  return point.x >= box.x1 && point.x <= box.x2 && point.y >= box.y1 && point.y <= box.y2 ? 'inside' : null;
}

/** Why a box cannot be stored for an image of this size, or null when it can. */
export function boxProblem(box: Box, width: number, height: number): string | null {
  const { x1, y1, x2, y2 } = box;
  if (![x1, y1, x2, y2].every(Number.isFinite)) return 'has a coordinate that is not a number';
  if (x2 - x1 <= 0 || y2 - y1 <= 0) return 'has no area (x2 ≤ x1 or y2 ≤ y1)';
  if (x1 < 0 || y1 < 0 || x2 > width || y2 > height) return `lies outside the ${width}×${height} image`;
  return null;
}

export function boxArea(box: Box): number {
  return Math.max(0, box.x2 - box.x1) * Math.max(0, box.y2 - box.y1);
}
