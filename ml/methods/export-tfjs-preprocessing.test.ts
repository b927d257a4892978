/** The bundle's loupe-preprocess.js (through loupe.js), run under stock tfjs, preprocesses a frame exactly as Loupe does. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { DecodedFrame } from '../../contract/index';
import { initBackend } from '../backends/select';
import { preprocessFrame } from '../data/preprocessing';
import { testFrames } from '../export/export-test-support';
import loupePreprocessJs from '../export/tfjs-page/loupe-preprocess.js?raw';
import loupeJs from '../export/tfjs-page/loupe.js?raw';
import { openStockTfjs } from '../export/tfjs-stock';
import { spec } from './export-tfjs-spec';

// Loupe's side runs as the engine does (wasm with Loupe's kernels), as in export-tfjs.test.ts.
beforeAll(async () => {
  await initBackend('wasm');
});

describe('loupe.js preprocessing equals Loupe’s', () => {
  const PREPROCESSING: [string, object][] = [
    ['range, stretch', {}],
    ['window, pad', { resize: 'pad', intensity: { mode: 'window', window: { center: 900, width: 1800 } } }],
    ['per-image, standardised', { intensity: { mode: 'per-image' }, normalize: { mean: [0.4], std: [0.2] } }],
    ['dtype, no rescale', { intensity: { mode: 'dtype' }, applyRescale: false }],
    [
      '3 channels, pad, ImageNet standardisation',
      { channels: 3, resize: 'pad', normalize: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } },
    ],
  ];
  const rgb: DecodedFrame = (() => {
    const [grey] = testFrames(1, 24, 40, 9);
    const data = new Uint8Array(grey!.rows * grey!.columns * 3);
    grey!.data.forEach((v, p) => [0, 1, 2].forEach((c) => (data[p * 3 + c] = (Number(v) >> (4 + c)) & 255)));
    return { data, rows: grey!.rows, columns: grey!.columns, samplesPerPixel: 3, rescaleSlope: 1, rescaleIntercept: 0 };
  })();

  for (const [name, extra] of PREPROCESSING) {
    it(name, async () => {
      const stock = await openStockTfjs([
        { name: 'loupe-preprocess.js', text: loupePreprocessJs },
        { name: 'loupe.js', text: loupeJs },
      ]);
      const page = stock.global.LoupeExport as {
        preprocess(f: DecodedFrame, s: unknown): { input: Float32Array; placement: unknown };
      };
      const preprocessing = spec(extra);
      for (const frame of [...testFrames(3, 32, 32, 2), rgb]) {
        const ours = preprocessFrame(frame, preprocessing);
        const theirs = page.preprocess(frame, preprocessing);
        expect(theirs.placement).toEqual(ours.placement);
        expect(Array.from(theirs.input)).toEqual(Array.from(ours.input));
      }
    });
  }
});
