/**
 * The demo's defects as boxes, for a detection task: one COCO file per split
 * (`defects/boxes-<split>.json`, as COCO datasets come: instances_train.json, instances_val.json),
 * each box the smallest that holds a defect's mask, every part of the split listed (a good part
 * with no box is a checked negative). Images are named by their file name, unique in the demo.
 */
import type { SplitName } from '../../../contract/index';

export const boxesFile = (split: SplitName): string => `boxes-${split}.json`;

/** COCO's [x, y, width, height] in pixels of the mask's 1-pixels, or null for an empty mask. */
export function boxOfMask(mask: Uint8Array, side: number): [number, number, number, number] | null {
  let [x0, y0, x1, y1] = [side, side, -1, -1];
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const [x, y] = [i % side, Math.floor(i / side)];
    [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  }
  return x1 < 0 ? null : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

export interface BoxedPart {
  name: string;
  side: number;
  box: [number, number, number, number] | null;
}

/** A COCO file of these parts (sorted by name, so the file does not depend on the order they were drawn in). */
export function cocoBoxes(parts: readonly BoxedPart[]): string {
  const sorted = [...parts].sort((a, b) => (a.name < b.name ? -1 : 1));
  const images = sorted.map((p, i) => ({ id: i + 1, file_name: p.name, width: p.side, height: p.side }));
  const annotations = sorted.flatMap((p, i) =>
    p.box ? [{ id: i + 1, image_id: i + 1, category_id: 1, bbox: p.box, area: p.box[2] * p.box[3], iscrowd: 0 }] : [],
  );
  return JSON.stringify({ images, annotations, categories: [{ id: 1, name: 'defect' }] });
}
