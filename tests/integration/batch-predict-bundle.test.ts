/**
 * `loupe predict --model BUNDLE` with an exported ONNX bundle: the same files, classes and
 * probabilities (within the fp32 export bound), and masks, as the Loupe model folder it was exported from,
 * and a clear refusal of what only the model folder can do.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportRequestSchema, preprocessingSpecSchema } from '../../contract/index';
import { saveTestModel, testFrames } from '../../ml/export/export-test-support';
import { exportModel } from '../../ml/methods/export';
import { imageFolder, readCsv, readManifestLines, type ImageFolder } from '../helpers/batch-predict';
import { runCli } from '../helpers/cli';
import { requireBuild } from '../helpers/services';

const IMAGES = 20;
/** The export's own bound on |ONNX − Loupe| (FP32_MAX_ABS_DIFF); softmax does not widen it. */
const PROBABILITY_TOLERANCE = 1e-4;
const CLASSES = ['ok', 'scratch', 'dent'];

/** Pixels per image whose class may differ: a pixel whose logit is within the fp32 bound of the decision flips either way. */
const MASK_PIXELS_TOLERANCE = 2;
const REGIONS = ['background', 'lesion'];

let root: string;
let modelDir: string;
let bundleDir: string;
let segmentationDir: string;
let segmentationBundle: string;
let folder: ImageFolder;
const context = { signal: new AbortController().signal, progress: () => {} };

beforeAll(async () => {
  requireBuild();
  await tf.setBackend('cpu');
  root = mkdtempSync(path.join(os.tmpdir(), 'loupe-batch-bundle-'));
  modelDir = path.join(root, 'model');
  bundleDir = path.join(root, 'bundle');
  const preprocessing = preprocessingSpecSchema.parse({
    rows: 16,
    columns: 16,
    intensity: { mode: 'range', min: 0, max: 65535 },
  });
  // Random weights are enough: the test is about both runtimes saying the same, not about accuracy.
  await saveTestModel(modelDir, {
    task: 'classification',
    model: { architecture: 'small-cnn', filters: [4, 8] },
    classes: CLASSES,
    preprocessing,
  });
  const frames = testFrames(4, 16, 16);
  await exportModel(
    exportRequestSchema.parse({
      modelDir,
      outDir: bundleDir,
      dataset: {
        task: 'classification',
        classes: CLASSES,
        samples: frames.map((frame, i) => ({
          id: String(i),
          split: 'test',
          image: { frame },
          label: i % CLASSES.length,
        })),
      },
      split: 'test',
    }),
    context,
  );
  segmentationDir = path.join(root, 'segmentation');
  segmentationBundle = path.join(root, 'segmentation-bundle');
  await saveTestModel(segmentationDir, {
    task: 'segmentation',
    model: { architecture: 'unet', depth: 2, baseFilters: 4 },
    classes: REGIONS,
    preprocessing,
  });
  await exportModel(
    exportRequestSchema.parse({
      modelDir: segmentationDir,
      outDir: segmentationBundle,
      dataset: {
        task: 'segmentation',
        classes: REGIONS,
        samples: frames.map((frame, i) => ({
          id: String(i),
          split: 'test',
          image: { frame },
          mask: { data: new Uint8Array(frame.rows * frame.columns), rows: frame.rows, columns: frame.columns },
        })),
      },
      split: 'test',
    }),
    context,
  );
  folder = imageFolder(path.join(root, 'images'), IMAGES);
}, 300_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function predictWith(model: string, out: string): Promise<Map<string, string[]>> {
  const { code, stderr } = await runCli(['predict', '--model', model, '--in', folder.root, '--out', out], {
    timeoutMs: 300_000,
  });
  // The folder holds two unreadable files on purpose: exit code 1, every image predicted.
  expect(code, stderr).toBe(1);
  const { rows } = readCsv(out);
  return new Map(rows.map((r) => [r[0]!, r]));
}

describe('loupe predict --model with an exported ONNX bundle', () => {
  it('predicts every image as the model folder does: same classes, probabilities within 1e-4', async () => {
    const fromFolder = await predictWith(modelDir, path.join(root, 'out-folder'));
    const fromBundle = await predictWith(bundleDir, path.join(root, 'out-bundle'));
    const { header } = readCsv(path.join(root, 'out-bundle'));
    expect(header).toEqual(expect.arrayContaining(['predicted', ...CLASSES.map((c) => `p_${c}`)]));
    const predicted = header.indexOf('predicted');
    const probabilityColumns = CLASSES.map((c) => header.indexOf(`p_${c}`));
    expect([...fromBundle.keys()].sort()).toEqual(folder.images);
    expect([...fromFolder.keys()].sort()).toEqual(folder.images);
    let largest = 0;
    for (const [file, row] of fromBundle) {
      const reference = fromFolder.get(file)!;
      expect(row[predicted], file).toBe(reference[predicted]);
      for (const column of probabilityColumns)
        largest = Math.max(largest, Math.abs(Number(row[column]) - Number(reference[column])));
    }
    expect(largest).toBeLessThanOrEqual(PROBABILITY_TOLERANCE);
    // The manifest names the bundle's model file by its hash, not the folder's weights.
    const hashes = new Set(readManifestLines(path.join(root, 'out-bundle')).map((m) => m.weightsSha256));
    const folderHashes = new Set(readManifestLines(path.join(root, 'out-folder')).map((m) => m.weightsSha256));
    expect(hashes.size).toBe(1);
    expect([...hashes][0]).not.toBe([...folderHashes][0]);
  }, 600_000);

  it('segments every image as the model folder does: class pixel counts equal but for pixels on the decision', async () => {
    const fromFolder = await predictWith(segmentationDir, path.join(root, 'seg-folder'));
    const fromBundle = await predictWith(segmentationBundle, path.join(root, 'seg-bundle'));
    const { header } = readCsv(path.join(root, 'seg-bundle'));
    const counts = REGIONS.map((c) => header.indexOf(`pixels_${c}`));
    expect(counts.every((c) => c >= 0)).toBe(true);
    expect([...fromBundle.keys()].sort()).toEqual(folder.images);
    for (const [file, row] of fromBundle) {
      const reference = fromFolder.get(file)!;
      const moved = Math.abs(Number(row[counts[1]!]) - Number(reference[counts[1]!]));
      expect(moved, file).toBeLessThanOrEqual(MASK_PIXELS_TOLERANCE);
      expect(Number(row[counts[0]!]) + Number(row[counts[1]!])).toBe(16 * 16);
    }
    expect(existsSync(path.join(root, 'seg-bundle', 'masks'))).toBe(true);
  }, 600_000);

  it('refuses --explain and --runtime engine on a bundle with a one-line reason', async () => {
    const cases: [string[], RegExp][] = [
      [['--explain', 'gradcam'], /exported ONNX bundle only predicts/],
      [
        ['--runtime', 'engine'],
        /--runtime engine needs a Loupe model folder; an exported ONNX bundle runs on ONNX Runtime/,
      ],
    ];
    for (const [[option, value], message] of cases) {
      const out = path.join(root, `out-${value}`);
      const { code, stderr } = await runCli([
        'predict',
        '--model',
        bundleDir,
        '--in',
        folder.root,
        '--out',
        out,
        option!,
        value!,
      ]);
      expect(code).toBe(2);
      expect(stderr).toMatch(message);
    }
  }, 120_000);
});
