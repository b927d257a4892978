/**
 * The TF.js bundle's offline page as a user meets it: index.html opened from file:// in Chromium
 * (no server, no network), an image set on its file input, and the page shows what Loupe predicts
 * for the same PNG — the top class and its probabilities, or the mask's share of each class.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { encode } from 'fast-png';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportRequestSchema, preprocessingSpecSchema, type SamplePrediction } from '../../contract/index';
import { initBackend } from '../../ml/backends/select';
import { readTrainingFrame } from '../../ml/decode/frame-reader';
import { saveTestModel, testFrames, type TestModelSpec } from '../../ml/export/export-test-support';
import { exportTfjs } from '../../ml/methods/export-tfjs';
import { cosineSimilarity } from '../../ml/siamese/gallery';
import { Predictor } from '../../ml/train/predictor';
import { keepScreenshot, launchChromium, watchErrors } from '../helpers/browser';

/** A verification model's decision as training records it in the card (values of a made-up validation split). */
const VERIFICATION = {
  similarity: 'cosine',
  embeddingDim: 16,
  threshold: 0.5,
  targetFar: 0.01,
  chosenOn: 'val',
  far: 0,
  tar: 1,
  genuinePairs: 4,
  impostorPairs: 4,
} as const;

/** The page shows probabilities with one decimal of a percent; its data attribute keeps them whole. */
const PROBABILITY_TOLERANCE = 1e-4;

let dir: string;
let browser: Browser;
const context = { signal: new AbortController().signal, progress: () => {} };

beforeAll(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-tfjs-page-'));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

const spec = (extra: object) =>
  preprocessingSpecSchema.parse({ rows: 32, columns: 32, intensity: { mode: 'dtype' }, ...extra });

/** An 8-bit grey PNG of another size than the model input (browsers decode PNGs to 8 bits). */
function writePng(file: string): void {
  const [frame] = testFrames(1, 44, 36, 13);
  const data = Uint8Array.from(frame!.data, (v) => Number(v) >> 4);
  writeFileSync(file, encode({ width: frame!.columns, height: frame!.rows, data, depth: 8, channels: 1 }));
}

async function exported(
  name: string,
  modelSpec: TestModelSpec,
  cardExtra: object = {},
): Promise<{ outDir: string; loupe: SamplePrediction; modelDir: string }> {
  const modelDir = path.join(dir, `model-${name}`);
  const card = await saveTestModel(modelDir, modelSpec, 5);
  writeFileSync(path.join(modelDir, 'model-card.json'), JSON.stringify({ ...card, ...cardExtra }));
  const outDir = path.join(dir, `bundle-${name}`);
  const samples = testFrames(2, 32, 32, 3).map((frame, i) => ({
    id: String(i),
    split: 'test' as const,
    image: { frame },
    ...(modelSpec.task === 'classification'
      ? { label: 0 }
      : modelSpec.task === 'detection'
        ? { boxes: [] }
        : modelSpec.task === 'verification'
          ? { identity: `part-${i}` }
          : { mask: { data: new Uint8Array(frame.rows * frame.columns), rows: frame.rows, columns: frame.columns } }),
  }));
  const request = exportRequestSchema.parse({
    modelDir,
    outDir,
    format: 'tfjs',
    dataset: { task: modelSpec.task, classes: modelSpec.classes, samples },
    split: 'test',
  });
  await exportTfjs(request, context);
  const predictor = await Predictor.load(modelDir);
  try {
    const [loupe] = await predictor.predict([await readTrainingFrame(path.join(dir, 'image.png'), 0)]);
    return { outDir, loupe: loupe!, modelDir };
  } finally {
    predictor.dispose();
  }
}

async function openPage(outDir: string) {
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await page.goto(pathToFileURL(path.join(outDir, 'index.html')).href);
  await page.waitForSelector('body[data-ready="true"]');
  await page.setInputFiles('#file', path.join(dir, 'image.png'));
  await page.waitForSelector('#prediction:not([hidden])');
  return { page, errors };
}

describe('TF.js bundle page from file://', () => {
  beforeAll(() => writePng(path.join(dir, 'image.png')));

  it('classification: shows the class and probabilities Loupe gives', async () => {
    const classes = ['ok', 'scratch', 'dent'];
    const { outDir, loupe } = await exported('classifier', {
      task: 'classification',
      model: { architecture: 'small-cnn' },
      classes,
      preprocessing: spec({}),
    });
    if (!('predicted' in loupe)) throw new Error('expected a classification');
    const { page, errors } = await openPage(outDir);
    expect(await page.getAttribute('#prediction', 'data-class')).toBe(classes[loupe.predicted]);
    const rows = await page.$$eval('#classes tbody tr', (trs) =>
      trs.map((tr) => ({ name: tr.cells[0]!.textContent, p: Number(tr.getAttribute('data-probability')) })),
    );
    expect(rows).toHaveLength(classes.length);
    for (const row of rows)
      expect(Math.abs(row.p - loupe.probabilities[classes.indexOf(row.name!)]!)).toBeLessThanOrEqual(
        PROBABILITY_TOLERANCE,
      );
    await keepScreenshot(page, 'tfjs-page-classification');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('segmentation: shows the mask with each class’s share of the image as Loupe’s mask has it', async () => {
    const classes = ['background', 'a', 'b'];
    const { outDir, loupe } = await exported('unet', {
      task: 'segmentation',
      model: { architecture: 'unet', depth: 2, baseFilters: 8 },
      classes,
      preprocessing: spec({ resize: 'pad' }),
    });
    if (!('mask' in loupe)) throw new Error('expected a mask');
    const { page, errors } = await openPage(outDir);
    const legend = await page.$$eval('#legend li', (items) => items.map((li) => li.textContent));
    const share = (c: number) => ((100 * loupe.mask.filter((v) => v === c).length) / loupe.mask.length).toFixed(1);
    expect(legend).toEqual([`a: ${share(1)} % of the image`, `b: ${share(2)} % of the image`]);
    expect(await page.isVisible('#view')).toBe(true);
    await keepScreenshot(page, 'tfjs-page-segmentation');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('detection: draws the boxes Loupe finds after NMS and lists them', async () => {
    const classes = ['nut', 'bolt'];
    const { outDir, loupe } = await exported('detector', {
      task: 'detection',
      model: {
        architecture: 'centernet',
        backbone: { architecture: 'small-cnn', filters: [8, 16, 32] },
        headChannels: 16,
      },
      classes,
      preprocessing: spec({}),
    });
    if (!('detections' in loupe)) throw new Error('expected detections');
    expect(loupe.detections.length).toBeGreaterThan(0);
    const { page, errors } = await openPage(outDir);
    const listed = await page.$$eval('#legend li', (items) => items.map((li) => li.textContent));
    expect(listed).toEqual(
      loupe.detections.map(
        (d) =>
          `${classes[d.classId]} ${(100 * d.score).toFixed(1)} % at [${d.box.map((v) => v.toFixed(1)).join(', ')}]`,
      ),
    );
    await keepScreenshot(page, 'tfjs-page-detection');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('verification: compares a pair as Loupe does (cosine similarity, decision at the card’s threshold)', async () => {
    const second = path.join(dir, 'second.png');
    const [frame] = testFrames(1, 30, 40, 21);
    const data = Uint8Array.from(frame!.data, (v) => Number(v) >> 4);
    writeFileSync(second, encode({ width: frame!.columns, height: frame!.rows, data, depth: 8, channels: 1 }));
    const { outDir, loupe, modelDir } = await exported(
      'siamese',
      {
        task: 'verification',
        model: {
          architecture: 'siamese',
          backbone: { architecture: 'small-cnn', filters: [8, 16] },
          pooling: 'flatten',
          embeddingDim: 16,
        },
        classes: [],
        preprocessing: spec({}),
      },
      { verification: VERIFICATION },
    );
    if (!('embedding' in loupe)) throw new Error('expected an embedding');
    const predictor = await Predictor.load(modelDir);
    let other: SamplePrediction;
    try {
      [other] = (await predictor.predict([await readTrainingFrame(second, 0)])) as [SamplePrediction];
    } finally {
      predictor.dispose();
    }
    if (!('embedding' in other)) throw new Error('expected an embedding');
    const score = cosineSimilarity(loupe.embedding, other.embedding);

    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(pathToFileURL(path.join(outDir, 'index.html')).href);
    await page.waitForSelector('body[data-ready="true"]');
    await page.setInputFiles('#file', path.join(dir, 'image.png'));
    await page.setInputFiles('#file2', second);
    await page.waitForSelector('#prediction:not([hidden])');
    const shown = Number(await page.getAttribute('#prediction', 'data-score'));
    expect(Math.abs(shown - score)).toBeLessThanOrEqual(PROBABILITY_TOLERANCE);
    expect(await page.getAttribute('#prediction', 'data-same')).toBe(String(score >= VERIFICATION.threshold));
    await keepScreenshot(page, 'tfjs-page-verification');
    expect(errors).toEqual([]);
    await page.close();
  });
});
