/**
 * `loupe predict` on multi-frame DICOM files (made by DCMTK in tests/fixtures/imaging/multi-frame.ts):
 * every frame of every file is predicted, one row per frame, each row the model's prediction on
 * that frame (checked against the model run in-process on the frame decoded by its index).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFile } from '../../ml/decode/index';
import { Predictor } from '../../ml/train/predictor';
import { writeMultiFrameDicoms } from '../fixtures/imaging/multi-frame';
import { readCsv, trainTinyClassifier } from '../helpers/batch-predict';
import { runCli } from '../helpers/cli';
import type { TrainedModel } from '../helpers/engine-training';
import { requireBuild } from '../helpers/services';

const FILES = 2;
const FRAMES = 3;
const CLI_TIMEOUT_MS = 300_000;

let root: string;
let model: TrainedModel;
let files: string[];

beforeAll(async () => {
  requireBuild();
  root = mkdtempSync(path.join(os.tmpdir(), 'loupe-batch-frames-'));
  model = await trainTinyClassifier();
  files = writeMultiFrameDicoms(path.join(root, 'dicom'), FILES, FRAMES);
}, 600_000);
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  if (model) rmSync(model.root, { recursive: true, force: true });
});

describe('loupe predict on multi-frame files', () => {
  it(
    'predicts every frame, one row each',
    async () => {
      const out = path.join(root, 'out');
      const { code, stdout, stderr } = await runCli(
        ['predict', '--model', model.modelDir, '--in', path.join(root, 'dicom'), '--out', out],
        { timeoutMs: CLI_TIMEOUT_MS },
      );
      expect(code, stderr).toBe(0);
      expect(stdout).toMatch(new RegExp(`${FILES} files predicted \\(${FILES * FRAMES} frames\\)`));
      const { header, rows } = readCsv(out);
      const at = (name: string): number => header.indexOf(name);
      const seen = rows.map((r) => `${path.basename(r[at('path')]!)}#${r[at('frame')]}`).sort();
      expect(seen).toEqual(
        files.flatMap((f) => Array.from({ length: FRAMES }, (_, k) => `${path.basename(f)}#${k}`)).sort(),
      );
      const predictor = await Predictor.load(model.modelDir);
      try {
        for (const row of rows) {
          const { frame } = await decodeFile(row[at('path')]!, { frame: Number(row[at('frame')]) });
          const [expected] = await predictor.predict([
            { ...frame, samplesPerPixel: 1, data: frame.data as Uint8Array<ArrayBuffer> },
          ]);
          if (!expected || !('probabilities' in expected)) throw new Error('expected class probabilities');
          expect(Number(row[at('p_normal')])).toBeCloseTo(expected.probabilities[0]!, 5);
          expect(Number(row[at('p_lesion')])).toBeCloseTo(expected.probabilities[1]!, 5);
        }
      } finally {
        predictor.dispose();
      }
    },
    CLI_TIMEOUT_MS,
  );
});
