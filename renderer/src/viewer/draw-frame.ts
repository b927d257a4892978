/** A whole frame drawn into a canvas (pair previews, gallery pictures); apart from render.ts, which Node's tests import without the DOM. */
import type { FramePixels } from '../../../contract/index';
import { defaultWindow, renderFrame } from './render';

/** Draws a whole frame into `canvas` at the frame's own size, through the window it opens with. */
export function drawFrame(canvas: HTMLCanvasElement, frame: FramePixels): void {
  canvas.width = frame.columns;
  canvas.height = frame.rows;
  const context = canvas.getContext('2d')!;
  const image = context.createImageData(frame.columns, frame.rows);
  renderFrame(frame, defaultWindow(frame), image.data);
  context.putImageData(image, 0, 0);
}
