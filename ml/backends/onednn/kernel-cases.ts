/**
 * The shapes the oneDNN kernels are checked over: strides, dilations, paddings, depthwise
 * multipliers and product layouts, small ones for the edges and a few large enough to matter.
 */
export type Pad = 'same' | 'valid';
export interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
  dilations?: number;
}

export const CONV_CASES: ConvCase[] = [
  { x: [1, 5, 5, 1], filter: [3, 3, 1, 1], strides: 1, pad: 'same' },
  { x: [2, 8, 8, 3], filter: [3, 3, 3, 8], strides: 1, pad: 'valid' },
  { x: [3, 9, 7, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' },
  { x: [2, 10, 11, 4], filter: [2, 2, 4, 6], strides: 2, pad: 'same' },
  { x: [1, 12, 12, 2], filter: [5, 5, 2, 3], strides: 3, pad: 'same' },
  { x: [2, 9, 12, 3], filter: [3, 1, 3, 2], strides: [1, 2], pad: 'same' },
  { x: [2, 7, 7, 16], filter: [1, 1, 16, 32], strides: 1, pad: 'valid' },
  { x: [4, 16, 16, 32], filter: [3, 3, 32, 32], strides: 1, pad: 'same' },
];

export const DILATED_CASES: ConvCase[] = [
  { x: [2, 11, 11, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same', dilations: 2 },
  { x: [1, 13, 10, 2], filter: [3, 2, 2, 3], strides: 1, pad: 'valid', dilations: 3 },
];

export interface DepthwiseCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number;
  pad: Pad;
}

export const DEPTHWISE_CASES: DepthwiseCase[] = [
  { x: [2, 8, 8, 4], filter: [3, 3, 4, 1], strides: 1, pad: 'same' },
  { x: [2, 9, 9, 3], filter: [3, 3, 3, 2], strides: 2, pad: 'same' },
  { x: [1, 10, 7, 8], filter: [3, 3, 8, 1], strides: 2, pad: 'valid' },
];

export interface ProductCase {
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
}

export const PRODUCT_CASES: ProductCase[] = [
  { a: [5, 7], b: [7, 3], transposeA: false, transposeB: false },
  { a: [7, 5], b: [7, 3], transposeA: true, transposeB: false },
  { a: [5, 7], b: [3, 7], transposeA: false, transposeB: true },
  { a: [7, 5], b: [3, 7], transposeA: true, transposeB: true },
  { a: [4, 5, 6], b: [4, 6, 2], transposeA: false, transposeB: false },
  { a: [64, 4096], b: [4096, 128], transposeA: false, transposeB: false },
];
