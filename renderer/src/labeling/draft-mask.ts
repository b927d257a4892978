/**
 * A model's draft mask painted into an image's mask as one stroke: every pixel takes the draft's
 * value, so accepting is one undo step in the mask tools and the result is edited like any mask.
 */
import { SpanBuilder, type LabelMask } from '../../../contract/geometry/index';
import type { MaskStroke } from './mask-edits';

export function paintDraftMask(stroke: MaskStroke, draft: LabelMask): void {
  const { width, height, data } = draft;
  if (width !== stroke.mask.width || height !== stroke.mask.height)
    throw new Error(`The draft mask is ${width}×${height}; the image is ${stroke.mask.width}×${stroke.mask.height}.`);
  const byValue = new Map<number, SpanBuilder>();
  for (let y = 0; y < height; y++) {
    let x = 0;
    while (x < width) {
      const value = data[y * width + x]!;
      const start = x;
      while (x < width && data[y * width + x] === value) x++;
      let spans = byValue.get(value);
      if (!spans) byValue.set(value, (spans = new SpanBuilder()));
      spans.push(y, start, x);
    }
  }
  for (const [value, spans] of byValue) stroke.paint(spans.build(), value);
}
