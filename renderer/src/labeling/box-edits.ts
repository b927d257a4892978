/**
 * Box list edits for the box tool. Each returns a new list (the store records before/after for
 * undo), never mutating its input.
 */
import {
  boxFromCorners,
  boxProblem,
  moveBox,
  nudgeBox,
  resizeBox,
  type BoxHandle,
  type Point,
} from '../../../contract/geometry/index';
import type { BoxLabel } from '../../../contract/index';

export interface ImageSize {
  width: number;
  height: number;
}

export function addBox(boxes: readonly BoxLabel[], classId: number, a: Point, b: Point, size: ImageSize): BoxLabel[] {
  const box = boxFromCorners(a, b, size.width, size.height);
  return box ? [...boxes, { classId, ...box }] : [...boxes];
}

export function moveBoxAt(
  boxes: readonly BoxLabel[],
  index: number,
  dx: number,
  dy: number,
  size: ImageSize,
): BoxLabel[] {
  return boxes.map((b, i) =>
    i === index ? { classId: b.classId, ...moveBox(b, dx, dy, size.width, size.height) } : b,
  );
}

export function nudgeBoxAt(
  boxes: readonly BoxLabel[],
  index: number,
  direction: 'left' | 'right' | 'up' | 'down',
  large: boolean,
  size: ImageSize,
): BoxLabel[] {
  return boxes.map((b, i) =>
    i === index ? { classId: b.classId, ...nudgeBox(b, direction, large, size.width, size.height) } : b,
  );
}

/** Resizes by a handle; returns the handle now under the pointer (it changes when the box flips). */
export function resizeBoxAt(
  boxes: readonly BoxLabel[],
  index: number,
  handle: BoxHandle,
  to: Point,
  size: ImageSize,
): { boxes: BoxLabel[]; handle: BoxHandle } {
  let next = handle;
  const out = boxes.map((b, i) => {
    if (i !== index) return b;
    const resized = resizeBox(b, handle, to, size.width, size.height);
    next = resized.handle;
    return { classId: b.classId, ...resized.box };
  });
  return { boxes: out, handle: next };
}

export function setBoxClass(boxes: readonly BoxLabel[], index: number, classId: number): BoxLabel[] {
  return boxes.map((b, i) => (i === index ? { ...b, classId } : b));
}

export function deleteBoxAt(boxes: readonly BoxLabel[], index: number): BoxLabel[] {
  return boxes.filter((_, i) => i !== index);
}

/**
 * "Copy boxes from the previous image": the previous image's boxes added to this one's, clipped
 * to this image; boxes left with no area are dropped, and exact duplicates are not added twice.
 */
export function copyBoxes(current: readonly BoxLabel[], previous: readonly BoxLabel[], size: ImageSize): BoxLabel[] {
  const key = (b: BoxLabel): string => `${b.classId}:${b.x1}:${b.y1}:${b.x2}:${b.y2}`;
  const have = new Set(current.map(key));
  const out = [...current];
  for (const b of previous) {
    const clipped = {
      classId: b.classId,
      x1: Math.max(0, b.x1),
      y1: Math.max(0, b.y1),
      x2: Math.min(size.width, b.x2),
      y2: Math.min(size.height, b.y2),
    };
    if (boxProblem(clipped, size.width, size.height) || have.has(key(clipped))) continue;
    have.add(key(clipped));
    out.push(clipped);
  }
  return out;
}
