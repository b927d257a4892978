/**
 * `loupe predict` over a folder: one row per frame of every readable file, the right prediction
 * in each row (checked against the model run in-process on the same decoded file), unreadable
 * files reported without stopping the run, and the one-line refusals of bad input.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFile } from '../../ml/decode/index';
import { Predictor } from '../../ml/train/predictor';
import {
  imageFolder,
  readCsv,
  readManifestLines,
  trainTinyClassifier,
  type ImageFolder,
} from '../helpers/batch-predict';
import { runCli } from '../helpers/cli';
import type { TrainedModel } from '../helpers/engine-training';
import { requireBuild } from '../helpers/services';

const IMAGES = 60;
/** Rows checked against the in-process model (every row would repeat the same check). */
const CHECKED_ROWS = 8;

let root: string;
let model: TrainedModel;
let folder: ImageFolder;

beforeAll(async () => {
  requireBuild();
  root = mkdtempSync(path.join(os.tmpdir(), 'loupe-batch-'));
  model = await trainTinyClassifier();
  folder = imageFolder(path.join(root, 'images'), IMAGES);
}, 600_000);
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  if (model) rmSync(model.root, { recursive: true, force: true });
});

/** Checks the first CHECKED_ROWS CSV rows against the engine's own Predictor on the same files. */
async function forEngineRows(
  rows: string[][],
  check: (row: string[], expected: { probabilities: number[]; predicted: number }) => void,
): Promise<void> {
  const predictor = await Predictor.load(model.modelDir);
  try {
    for (const row of rows.slice(0, CHECKED_ROWS)) {
      const { frame } = await decodeFile(row[0]!);
      const [expected] = await predictor.predict([
        { ...frame, samplesPerPixel: 1, data: frame.data as Uint16Array<ArrayBuffer> },
      ]);
      if (!expected || !('probabilities' in expected)) throw new Error('expected class probabilities');
      check(row, expected);
    }
  } finally {
    predictor.dispose();
  }
}

describe('loupe predict', () => {
  it('writes one row per image with the model’s probabilities, and reports unreadable files', async () => {
    const out = path.join(root, 'out-full');
    // A subfolder given beside its parent: its files are still predicted once.
    const { code, stdout, stderr } = await runCli(
      ['predict', '--model', model.modelDir, '--in', folder.root, path.join(folder.root, 'site-1'), '--out', out],
      { timeoutMs: 300_000 },
    );
    expect(stdout).toMatch(new RegExp(`${IMAGES} files predicted \\(${IMAGES} frames\\), 2 failed`));
    expect(stdout).toMatch(/the model ran on ONNX Runtime\.$/m);
    expect(code, stderr).toBe(1);
    for (const bad of folder.unreadable) expect(stderr).toContain(`failed     ${bad.path}: `);

    const { header, rows } = readCsv(out);
    expect(header).toEqual([
      'path',
      'relative',
      'sha256',
      'frame',
      'predicted',
      'p_normal',
      'p_lesion',
      'model_id',
      'weights_sha256',
    ]);
    expect(rows.map((r) => r[0]).sort()).toEqual(folder.images);
    const manifest = readManifestLines(out);
    expect(
      manifest
        .filter((m) => m.status === 'done')
        .map((m) => m.path)
        .sort(),
    ).toEqual(folder.images);
    const failed = manifest.filter((m) => m.status === 'failed');
    expect(failed.map((m) => m.path).sort()).toEqual(folder.unreadable.map((u) => u.path).sort());
    for (const bad of folder.unreadable) expect(failed.find((m) => m.path === bad.path)!.reason).toMatch(bad.reason);

    await forEngineRows(rows, (row, expected) => {
      expect(row[4]).toBe(model.card.classes[expected.predicted]);
      expect(Number(row[5])).toBeCloseTo(expected.probabilities[0]!, 5);
      expect(Number(row[6])).toBeCloseTo(expected.probabilities[1]!, 5);
      expect(row[7]).toBe(model.card.run.runId);
    });
  }, 300_000);

  it('splits the input into shards that merge back into the whole, each file once', async () => {
    const shards = [0, 1, 2].map((i) => path.join(root, `shard-${i}`));
    for (const [i, out] of shards.entries()) {
      const { code, stderr } = await runCli(
        ['predict', '--model', model.modelDir, '--in', folder.root, '--out', out, '--shard', `${i}/3`],
        { timeoutMs: 300_000 },
      );
      expect([0, 1], stderr).toContain(code);
    }
    const perShard = shards.map((out) => readManifestLines(out).map((m) => m.path));
    expect(perShard.every((paths) => paths.length > 0)).toBe(true);
    const all = [...folder.images, ...folder.unreadable.map((u) => u.path)].sort();
    expect(perShard.flat().sort()).toEqual(all);

    const merged = path.join(root, 'merged');
    const { code, stdout, stderr } = await runCli(['predict', 'merge', ...shards, '--out', merged]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(`3 shards merged: ${all.length} files, each once (2 failed)`);
    const sorted = (rows: string[][]) => rows.map((r) => r.join(',')).sort();
    expect(sorted(readCsv(merged).rows)).toEqual(sorted(readCsv(path.join(root, 'out-full')).rows));
    expect(
      readManifestLines(merged)
        .map((m) => m.path)
        .sort(),
    ).toEqual(all);

    const refusals: [string[], RegExp][] = [
      [[shards[0]!, shards[1]!], /Shard 2\/3 is missing; merge needs all 3/],
      [[shards[0]!, shards[0]!, shards[1]!, shards[2]!], /Shard 0\/3 is given twice/],
      [[...shards, path.join(root, 'out-full')], /is one of 1 shards; .* is one of 3/],
      [[...shards], /is not empty; merge into an empty or new folder/],
    ];
    for (const [dirs, message] of refusals) {
      const refused = await runCli([
        'predict',
        'merge',
        ...dirs,
        '--out',
        dirs.length === 3 ? merged : path.join(root, 'merged-2'),
      ]);
      expect(refused.stderr).toMatch(message);
      expect(refused.code).toBe(2);
    }
  }, 300_000);

  it.skipIf(!existsSync('/dev/full'))(
    'stops with a clear error on a full disk, and --resume finishes later',
    async () => {
      // /dev/full answers every write with ENOSPC: the results file of a started batch points there.
      const out = path.join(root, 'out-full-disk');
      mkdirSync(out);
      copyFileSync(path.join(root, 'out-full', 'batch.json'), path.join(out, 'batch.json'));
      symlinkSync('/dev/full', path.join(out, 'predictions.csv'));
      const args = ['predict', '--model', model.modelDir, '--in', folder.root, '--out', out, '--resume'];
      const full = await runCli(args, { timeoutMs: 300_000 });
      expect(full.stderr).toMatch(
        /^loupe: The disk holding .*out-full-disk is full while writing results; free some space, then run again with --resume to finish\.$/m,
      );
      expect(full.code).toBe(1);
      rmSync(path.join(out, 'predictions.csv'));
      const resumed = await runCli(args, { timeoutMs: 300_000 });
      expect([0, 1], resumed.stderr).toContain(resumed.code);
      expect(
        readCsv(out)
          .rows.map((r) => r[0])
          .sort(),
      ).toEqual(folder.images);
    },
    300_000,
  );

  it('keeps the model on the engine with --runtime engine: the engine Predictor’s very probabilities', async () => {
    const out = path.join(root, 'out-engine');
    const input = path.join(folder.root, 'site-1');
    const { code, stdout, stderr } = await runCli(
      ['predict', '--model', model.modelDir, '--in', input, '--out', out, '--runtime', 'engine'],
      { timeoutMs: 300_000 },
    );
    expect(stdout).toMatch(/the model ran on Loupe's engine\.$/m);
    expect([0, 1], stderr).toContain(code);
    const { rows } = readCsv(out);
    expect(rows.length).toBeGreaterThan(0);
    await forEngineRows(rows, (row, expected) =>
      expect([Number(row[5]), Number(row[6])]).toEqual(expected.probabilities),
    );
  }, 300_000);

  it('refuses bad input with one line and exit code 2', async () => {
    const other = path.join(root, 'other-model');
    mkdirSync(other, { recursive: true });
    const stranger = path.join(root, 'stranger-out');
    mkdirSync(stranger, { recursive: true });
    writeFileSync(
      path.join(stranger, 'batch.json'),
      JSON.stringify({ format: 'loupe-batch', version: 1, modelId: 'someone-else', weightsSha256: 'f'.repeat(64) }),
    );
    const busy = path.join(root, 'busy-out');
    mkdirSync(busy, { recursive: true });
    writeFileSync(path.join(busy, 'keep.txt'), 'mine');
    const cases: [string[], RegExp][] = [
      [
        ['--model', model.modelDir, '--in', path.join(root, 'nowhere'), '--out', path.join(root, 'o1')],
        /This input does not exist: .*nowhere/,
      ],
      [
        ['--model', other, '--in', folder.root, '--out', path.join(root, 'o2')],
        /is not a Loupe model folder \(no model-card\.json\)/,
      ],
      [
        ['--model', model.modelDir, '--in', folder.root, '--out', stranger, '--resume'],
        /holds results of another model \(someone-else/,
      ],
      [
        ['--model', model.modelDir, '--in', folder.root, '--out', busy],
        /is not empty and holds no Loupe batch results/,
      ],
      [
        ['--model', model.modelDir, '--in', folder.root, '--out', path.join(root, 'out-full')],
        /already holds results of this model; run with --resume/,
      ],
      [
        ['--model', model.modelDir, '--in', folder.root, '--out', path.join(root, 'o3'), '--threshold', '0.5'],
        /A threshold \(--threshold\) sets a detection score or verification decision threshold; this model does classification/,
      ],
      [
        ['--model', model.modelDir, '--in', folder.root, '--out', path.join(root, 'o4'), '--format', 'coco'],
        /A classification model writes csv, jsonl; not coco/,
      ],
      [
        ['--model', model.modelDir, '--in', folder.root, '--out', path.join(root, 'o5'), '--shard', '3/3'],
        /--shard is I\/N with 0 ≤ I < N/,
      ],
      [
        ['--in', folder.root, '--out', path.join(root, 'o6')],
        /give either --model DIR, or --workspace W with --run RUN/,
      ],
      [
        ['--model', model.modelDir, '--in', folder.root, '--out', path.join(root, 'o7'), '--runtime', 'gpu'],
        /a runtime is one of auto, engine/,
      ],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await runCli(['predict', ...args]);
      expect(stderr, args.join(' ')).toMatch(message);
      expect(
        stderr
          .trim()
          .split('\n')
          .filter((l) => !l.startsWith('(run loupe')).length,
        stderr,
      ).toBe(1);
      expect(code, stderr).toBe(2);
    }
  }, 300_000);
});
