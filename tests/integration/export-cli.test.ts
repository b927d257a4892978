/**
 * `loupe export` as a user runs it, on a workspace of synthetic scans trained through the CLI:
 * an unfinished run is refused, a completed one becomes a bundle whose card carries the parity
 * check, whose Node runner prints what `loupe eval` says for the same image, and whose folder is
 * not overwritten without --force.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluationFileSchema, type RunSummary } from '../../contract/index';
import { LOUPE_BIN, REPO_ROOT, runCli } from '../helpers/cli';
import { importScans, labelClassification } from '../helpers/scan-workspace';
import { runReference } from '../helpers/python-reference';
import { prepareWorkspace } from '../helpers/prepare-workspace';
import { requireBuild } from '../helpers/services';

let dir: string;
let workspace: string;

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-export-cli-'));
  // The bundle's Node runner imports onnxruntime-node and fast-png: let it find Loupe's.
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  workspace = path.join(dir, 'ws');
  await prepareWorkspace(workspace, async (call) => {
    const scans = await importScans(call, path.join(dir, 'scans'), { count: 48, size: 32, seed: 5 });
    await labelClassification(call, scans, 'Lesion');
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts `loupe train`, presses Ctrl+C once the first epoch is reported, and waits for it to stop. */
function trainThenInterrupt(args: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOUPE_BIN, 'train', ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/^epoch 1\/\d+ /m.test(stderr)) child.kill('SIGINT');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

async function runs(): Promise<RunSummary[]> {
  const result = await runCli(['runs', '--workspace', workspace, '--json']);
  return JSON.parse(result.stdout) as RunSummary[];
}

describe('loupe export', () => {
  let runId: string;
  const bundle = () => path.join(dir, 'bundle');

  it('refuses a run that did not complete', async () => {
    expect(await trainThenInterrupt(['--workspace', workspace, '--task', 'Lesion', '--epochs', '5'])).toBe(130);
    const [cancelled] = await runs();
    const result = await runCli([
      'export',
      '--workspace',
      workspace,
      '--run',
      cancelled!.runId,
      '--format',
      'onnx',
      '--out',
      bundle(),
    ]);
    expect(result.code).not.toBe(0);
    // Cancelled, or interrupted when the process stopped before recording it: both are unfinished.
    expect(result.stderr).toMatch(
      new RegExp(`Run ${cancelled!.runId} is (cancelled|interrupted); only a completed run can be exported\\.`),
    );
    expect(existsSync(bundle())).toBe(false);
  }, 120_000);

  it("writes the bundle with the parity check in its card; the Node runner prints `loupe eval`'s prediction", async () => {
    const trained = await runCli(['train', '--workspace', workspace, '--task', 'Lesion', '--epochs', '2', '--json'], {
      timeoutMs: 120_000,
    });
    expect(trained.code, trained.stderr).toBe(0);
    runId = (JSON.parse(trained.stdout) as RunSummary).runId;
    const result = await runCli(
      ['export', '--workspace', workspace, '--run', runId, '--format', 'onnx', '--out', bundle()],
      { timeoutMs: 120_000 },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /parity on \d+ test image\(s\) with onnxruntime-node [\d.]+ \(CPU\): max \|difference\| [\d.e+-]+ \(≤ 0\.0001\), (\d+)\/\1 predictions the same/,
    );
    const card = JSON.parse(readFileSync(path.join(bundle(), 'model-card.json'), 'utf8')) as {
      parity: { passed: boolean; split: string };
      loupe: { classes: string[] };
    };
    expect(card.parity).toMatchObject({ passed: true, split: 'test' });
    expect(JSON.stringify(card)).not.toMatch(/scan-\d{4}\.png/);

    const preds = path.join(dir, 'preds.json');
    expect((await runCli(['eval', '--workspace', workspace, '--run', runId, '--out', preds])).code).toBe(0);
    const evaluation = evaluationFileSchema.parse(JSON.parse(readFileSync(preds, 'utf8')));
    for (const image of evaluation.images.slice(0, 3)) {
      if (!('probabilities' in image) || !image.path) throw new Error('expected class probabilities of an image file');
      const printed = JSON.parse(
        execFileSync(process.execPath, [path.join(bundle(), 'run_onnx.mjs'), image.path], { encoding: 'utf8' }),
      ) as { predicted: number; class: string; probabilities: number[] };
      expect(printed.predicted).toBe(image.predicted);
      expect(printed.class).toBe(image.predictedClass);
      printed.probabilities.forEach((p, i) => expect(Math.abs(p - image.probabilities[i]!)).toBeLessThanOrEqual(1e-4));
    }
  }, 240_000);

  it('--format tfjs writes the TF.js bundle and its offline page, checked by stock TF.js', async () => {
    const out = path.join(dir, 'bundle-tfjs');
    const result = await runCli(
      ['export', '--workspace', workspace, '--run', runId, '--format', 'tfjs', '--out', out],
      {
        timeoutMs: 120_000,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /parity on \d+ test image\(s\) with @tensorflow\/tfjs [\d.]+ \(stock tf\.min\.js, cpu backend\): max \|difference\| [\d.e+-]+ \(≤ 0\.0001\), (\d+)\/\1 predictions the same/,
    );
    for (const file of [
      'model.json',
      'loupe-preprocess.js',
      'loupe.js',
      'loupe-model.js',
      'tf.min.js',
      'index.html',
      'page.js',
    ])
      expect(existsSync(path.join(out, file)), file).toBe(true);
    const card = JSON.parse(readFileSync(path.join(out, 'model-card.json'), 'utf8')) as {
      parity: { passed: boolean; split: string };
      tfjs: { page: string; weightShards: string[] };
    };
    expect(card.parity).toMatchObject({ passed: true, split: 'test' });
    expect(card.tfjs.page).toBe('index.html');
    for (const shard of card.tfjs.weightShards) expect(existsSync(path.join(out, shard))).toBe(true);
    expect(JSON.stringify(card)).not.toMatch(/scan-\d{4}\.png/);
  }, 180_000);

  it('--format tflite writes model.tflite, run by Arm NN against the Predictor', async () => {
    const out = path.join(dir, 'bundle-tflite');
    const result = await runCli(
      ['export', '--workspace', workspace, '--run', runId, '--format', 'tflite', '--out', out],
      {
        timeoutMs: 120_000,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /parity on \d+ test image\(s\) with Arm NN [\d.]+ \(TfLiteParser, CpuRef backend\): max \|difference\| [\d.e+-]+ \(≤ 0\.0001\), (\d+)\/\1 predictions the same/,
    );
    const model = readFileSync(path.join(out, 'model.tflite'));
    expect(model.subarray(4, 8).toString('latin1')).toBe('TFL3');
    const card = JSON.parse(readFileSync(path.join(out, 'model-card.json'), 'utf8')) as {
      parity: { passed: boolean; split: string; runtime: string };
      tflite: { layout: string; input: { shape: number[] } };
    };
    expect(card.parity).toMatchObject({ passed: true, split: 'test' });
    expect(card.tflite.layout).toBe('NHWC');
    expect(readFileSync(path.join(out, 'model-card.md'), 'utf8')).toContain(`Checked by ${card.parity.runtime}`);
  }, 180_000);

  it('--format tflite-int8 writes a full-integer file calibrated on the training split: ≤ 0.3× fp32, accuracy within 1 point', async () => {
    const out = path.join(dir, 'tflite-int8');
    const args = ['export', '--workspace', workspace, '--run', runId, '--format', 'tflite-int8', '--out', out];
    const result = await runCli([...args, '--calibration', '16'], { timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /int8: calibrated on 16 training image\(s\) \(minmax\); 0\.\d+× the fp32 file; accuracy/,
    );
    const card = JSON.parse(readFileSync(path.join(out, 'model-card.json'), 'utf8')) as {
      tflite: { precision: string };
      parity: {
        passed: boolean;
        runtime: string;
        int8: { sizeRatio: number; accuracyFp32: number; accuracyInt8: number };
      };
    };
    expect(card.tflite.precision).toMatch(/^int8 full-integer/);
    expect(card.parity).toMatchObject({ passed: true, runtime: expect.stringMatching(/^Arm NN /) });
    expect(card.parity.int8.sizeRatio).toBeLessThanOrEqual(0.3);
    expect(card.parity.int8.accuracyInt8).toBeGreaterThanOrEqual(card.parity.int8.accuracyFp32 - 0.01);
    const refused = await runCli([...args, '--force', '--calibration-method', 'percentile'], { timeoutMs: 120_000 });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('tflite-int8 calibrates with min–max ranges only');
  }, 240_000);

  it('does not overwrite an existing folder unless --force', async () => {
    const refused = await runCli(['export', '--workspace', workspace, '--run', runId, '--out', bundle()]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('already exists; choose another folder or pass --force');
    const forced = await runCli(
      ['export', '--workspace', workspace, '--run', runId, '--out', bundle(), '--force', '--no-preprocessing'],
      { timeoutMs: 120_000 },
    );
    expect(forced.code, forced.stderr).toBe(0);
    const card = JSON.parse(readFileSync(path.join(bundle(), 'model-card.json'), 'utf8')) as {
      onnx: { preprocessingBaked: boolean };
    };
    expect(card.onnx.preprocessingBaked).toBe(false);
  }, 120_000);

  it('names the formats it writes when asked for another', async () => {
    const result = await runCli([
      'export',
      '--workspace',
      workspace,
      '--run',
      runId,
      '--format',
      'coreml',
      '--out',
      path.join(dir, 'other'),
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      'this version of Loupe exports onnx, onnx-int8, tfjs, tflite, tflite-int8; "coreml" is not one of them.',
    );
  });

  it('writes an int8 QDQ bundle calibrated on the training split: ≤ 0.3× the fp32 file, accuracy within 1 point', async () => {
    const out = path.join(dir, 'int8');
    const result = await runCli(
      [
        'export',
        '--workspace',
        workspace,
        '--run',
        runId,
        '--format',
        'onnx-int8',
        '--calibration',
        '16',
        '--calibration-method',
        'percentile',
        '--out',
        out,
      ],
      { timeoutMs: 120_000 },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /int8: calibrated on 16 training image\(s\) \(percentile\); 0\.\d+× the fp32 file; accuracy/,
    );
    const card = JSON.parse(readFileSync(path.join(out, 'model-card.json'), 'utf8')) as {
      onnx: { precision: string };
      parity: { passed: boolean; int8: { sizeRatio: number; accuracyFp32: number; accuracyInt8: number } };
    };
    expect(card.onnx.precision).toBe('int8 QDQ');
    expect(card.parity.passed).toBe(true);
    expect(card.parity.int8.sizeRatio).toBeLessThanOrEqual(0.3);
    expect(card.parity.int8.accuracyInt8).toBeGreaterThanOrEqual(card.parity.int8.accuracyFp32 - 0.01);
    const { results } = runReference<{ results: { ok: boolean; error: string | null }[] }>('onnx_check.py', {
      paths: [path.join(out, 'model.onnx'), path.join(bundle(), 'model.onnx')],
    });
    expect(results).toEqual([expect.objectContaining({ ok: true }), expect.objectContaining({ ok: true })]);
  }, 120_000);
});
