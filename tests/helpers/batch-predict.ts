/**
 * What the batch prediction tests share: a tiny classifier trained once through the engine's
 * train method, a folder of small PNGs (nested, with unreadable files among them), and readers
 * for the output folder's results and manifest.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { TrainingConfigInput } from '../../contract/index';
import { parseCsv } from '../../main/services/csv';
import { classificationDataset, makeSyntheticScans } from '../fixtures/synthetic-scans';
import { trainForQuality, type TrainedModel } from './engine-training';
import { writePng } from './workspace-models';

/** Small on purpose: the tests are about files and rows, not accuracy. */
const TINY_CONFIG: TrainingConfigInput = {
  task: 'classification',
  model: { architecture: 'small-cnn', filters: [4, 8], batchNorm: false },
  preprocessing: { rows: 16, columns: 16 },
  loss: { name: 'cross-entropy' },
  optimizer: { name: 'adam' },
  learningRate: 0.01,
  schedule: { name: 'constant' },
  augment: {},
  monitor: { metric: 'val_accuracy', mode: 'max' },
  epochs: 1,
  batchSize: 8,
  seed: 5,
};

export function trainTinyClassifier(): Promise<TrainedModel> {
  return trainForQuality(
    'tiny classifier for batch prediction',
    classificationDataset(makeSyntheticScans({ count: 24, size: 16, seed: 3 })),
    TINY_CONFIG,
  );
}

export interface ImageFolder {
  root: string;
  /** Every readable image, absolute paths. */
  images: string[];
  /** Files that are not images, with a word their reason must contain. */
  unreadable: { path: string; reason: RegExp }[];
}

/** `count` 16×16 PNGs spread over nested folders, plus an empty file and a text file. */
export function imageFolder(root: string, count: number): ImageFolder {
  const scans = makeSyntheticScans({ count, size: 16, seed: 11 });
  const images = scans.map((scan, i) => {
    const dir = path.join(root, `site-${i % 3}`, `day-${i % 7}`);
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${scan.id}.png`);
    writePng(file, { width: 16, height: 16, bitDepth: 16, pixels: scan.frame.data });
    return file;
  });
  const empty = path.join(root, 'site-0', 'empty.png');
  const text = path.join(root, 'notes.txt');
  writeFileSync(empty, '');
  writeFileSync(text, 'not an image\n');
  return {
    root,
    images: images.sort(),
    unreadable: [
      { path: empty, reason: /empty/i },
      { path: text, reason: /not|image|format/i },
    ],
  };
}

export interface ManifestLine {
  path: string;
  status: 'done' | 'failed';
  reason?: string;
  sha256: string | null;
  modelId: string;
  weightsSha256: string;
}

export function readManifestLines(out: string): ManifestLine[] {
  const text = readFileSync(path.join(out, 'manifest.jsonl'), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as ManifestLine);
}

/** predictions.csv as header + rows, checking that every line is whole (ends the file with CRLF). */
export function readCsv(out: string): { header: string[]; rows: string[][] } {
  const text = readFileSync(path.join(out, 'predictions.csv'), 'utf8');
  expect(text.endsWith('\r\n')).toBe(true);
  const [header, ...rows] = parseCsv(text);
  return { header: header!, rows };
}
