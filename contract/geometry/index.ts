/**
 * Label geometry: the pixel arithmetic every labeling tool and every interchange format shares.
 *
 * Why it lives in contract/: the renderer's tools (brush, polygon, flood fill, boxes) and main's
 * importers/exporters (COCO polygons and RLE, YOLO polygons) must turn the same shapes into the
 * same pixels, bit for bit, and the layer rule lets the renderer import only contract/. So this
 * folder is dependency-free TypeScript (no zod, no Node, no DOM) that both sides import.
 *
 * Conventions, everywhere in this folder:
 * - Coordinates are continuous source-image pixels; pixel (x, y) covers [x, x+1) × [y, y+1) and
 *   its centre is (x + 0.5, y + 0.5). A box's x2/y2 are its right/bottom edges (exclusive).
 * - Masks are row-major label-index arrays (`data[y * width + x]`, 0 = background).
 * - Regions are returned as spans (see spans.ts): rows of [x0, x1) runs, compact for any shape.
 */
export * from './spans';
export * from './polygon';
export * from './brush';
export * from './fill';
export * from './region-grow';
export * from './coco-rle';
export * from './boxes';
export * from './contours';
export * from './iso-lines';
