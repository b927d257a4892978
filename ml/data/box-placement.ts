/**
 * Boxes between a frame and the model input: a frame is resized (stretched or padded) into the
 * input by its Placement, so its boxes scale and shift the same way; predicted boxes go back by
 * the inverse map and are clipped to the frame. Boxes are [x1, y1, x2, y2] in continuous pixel
 * coordinates (ml/detection/boxes.ts), which is what makes the map a plain scale and shift.
 */
import type { Box } from '../detection/boxes';
import type { Placement } from './resize';

export function boxToInput(box: Box, placement: Placement, frameRows: number, frameColumns: number): Box {
  const sx = placement.width / frameColumns;
  const sy = placement.height / frameRows;
  return [
    placement.left + box[0] * sx,
    placement.top + box[1] * sy,
    placement.left + box[2] * sx,
    placement.top + box[3] * sy,
  ];
}

/** The inverse of boxToInput, clipped to the frame (a box over the padding shrinks to the content). */
export function boxToFrame(box: Box, placement: Placement, frameRows: number, frameColumns: number): Box {
  const sx = frameColumns / placement.width;
  const sy = frameRows / placement.height;
  const clamp = (v: number, hi: number): number => Math.min(Math.max(v, 0), hi);
  return [
    clamp((box[0] - placement.left) * sx, frameColumns),
    clamp((box[1] - placement.top) * sy, frameRows),
    clamp((box[2] - placement.left) * sx, frameColumns),
    clamp((box[3] - placement.top) * sy, frameRows),
  ];
}
