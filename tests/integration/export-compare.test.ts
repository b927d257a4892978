/**
 * A run's exports compared, as `loupe export --json` prints it: a classifier trained through the
 * CLI, exported to ONNX fp32 and int8 in one call; the table has one row per variant with the
 * accuracy ONNX Runtime gets on the test split (checked against `loupe eval` and against the
 * export's own parity check, two other code paths), the files' sizes, their speed, and the
 * parity numbers; the bundle has a readable card without image paths.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  evaluationFileSchema,
  exportComparisonSchema,
  exportReplySchema,
  INT8_MAX_SIZE_RATIO,
  type RunSummary,
} from '../../contract/index';
import { runCli } from '../helpers/cli';
import { importScans, labelClassification } from '../helpers/scan-workspace';
import { prepareWorkspace } from '../helpers/prepare-workspace';
import { requireBuild } from '../helpers/services';

let dir: string;
let workspace: string;
let runId: string;

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-export-compare-'));
  workspace = path.join(dir, 'ws');
  await prepareWorkspace(workspace, async (call) => {
    const scans = await importScans(call, path.join(dir, 'scans'), { count: 48, size: 32, seed: 7 });
    await labelClassification(call, scans, 'Lesion');
  });
  const trained = await runCli(['train', '--workspace', workspace, '--task', 'Lesion', '--epochs', '2', '--json'], {
    timeoutMs: 120_000,
  });
  if (trained.code !== 0) throw new Error(trained.stderr);
  runId = (JSON.parse(trained.stdout) as RunSummary).runId;
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loupe export: the comparison table', () => {
  it('exports fp32 and int8 in one call and compares them on the test split', async () => {
    const out = path.join(dir, 'bundles');
    const result = await runCli(
      [
        'export',
        '--workspace',
        workspace,
        '--run',
        runId,
        '--format',
        'onnx,onnx-int8',
        '--calibration',
        '16',
        '--out',
        out,
        '--json',
      ],
      { timeoutMs: 180_000 },
    );
    expect(result.code, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout) as { exports: unknown[]; comparison: unknown };
    const [fp32Export, int8Export] = printed.exports.map((e) => exportReplySchema.parse(e));
    expect(fp32Export!.outDir).toBe(path.join(out, 'onnx'));
    expect(int8Export!.outDir).toBe(path.join(out, 'onnx-int8'));
    const comparison = exportComparisonSchema.parse(printed.comparison);
    expect(comparison).toMatchObject({ runId, split: 'test', metric: { name: 'accuracy', lowerIsBetter: false } });
    expect(comparison.rows.map((r) => [r.format, r.precision])).toEqual([
      ['onnx', 'fp32'],
      ['onnx-int8', 'int8'],
    ]);
    const [fp32, int8] = comparison.rows as [(typeof comparison.rows)[0], (typeof comparison.rows)[0]];

    // Size on disk is the model file's.
    expect(fp32.modelBytes).toBe(statSync(path.join(out, 'onnx', 'model.onnx')).size);
    expect(int8.modelBytes).toBe(statSync(path.join(out, 'onnx-int8', 'model.onnx')).size);
    expect(int8.modelBytes).toBeLessThanOrEqual(INT8_MAX_SIZE_RATIO * fp32.modelBytes);

    // fp32 in ONNX Runtime scores what Loupe's own model scores, which is what `loupe eval` reports.
    const evalFile = path.join(dir, 'eval.json');
    expect((await runCli(['eval', '--workspace', workspace, '--run', runId, '--out', evalFile])).code).toBe(0);
    const evaluation = evaluationFileSchema.parse(JSON.parse(readFileSync(evalFile, 'utf8')));
    if (evaluation.metrics.task !== 'classification') throw new Error('expected a classification report');
    expect(comparison.images).toBe(evaluation.metrics.count);
    expect(comparison.loupeMetric).toBeCloseTo(evaluation.metrics.accuracy, 10);
    expect(fp32.metric).toBeCloseTo(evaluation.metrics.accuracy, 10);
    // int8's accuracy through the evaluation code equals the one the export's parity check counted.
    expect(int8.metric).toBeCloseTo(int8Export!.parity.int8!.accuracyInt8!, 10);

    // Parity numbers are the bundles' own.
    expect(fp32.parity).toMatchObject({
      split: 'test',
      images: fp32Export!.parity.images,
      maxAbsDiff: fp32Export!.parity.maxAbsDiff,
      samePredictions: fp32Export!.parity.images,
    });
    expect(fp32.parity.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(int8.parity.maxAbsDiff).toBe(int8Export!.parity.maxAbsDiff);
    for (const row of comparison.rows) {
      expect(row.latencyMs).toBeGreaterThan(0);
      expect(row.imagesPerSecond).toBeGreaterThan(0);
    }
  }, 240_000);

  it('writes a readable card beside the JSON one, without image paths', () => {
    const page = readFileSync(path.join(dir, 'bundles', 'onnx-int8', 'model-card.md'), 'utf8');
    expect(page).toMatch(/^# Loupe classification model/);
    expect(page).toContain('## Export check');
    expect(page).toMatch(/int8: weights and activations quantized \(QDQ\)/);
    expect(page).not.toMatch(/scan-\d{4}\.png|\/tmp\//);
  });

  it('prints the table in text, and leaves out a bundle deleted since', async () => {
    rmSync(path.join(dir, 'bundles', 'onnx-int8'), { recursive: true });
    const out = path.join(dir, 'again');
    const result = await runCli(['export', '--workspace', workspace, '--run', runId, '--out', out], {
      timeoutMs: 180_000,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(path.join(out, 'model-card.md'))).toBe(true);
    const lines = result.stdout.split('\n');
    const header = lines.findIndex((l) => /^variant\s+accuracy\s+size\s+ms\/image\s+images\/s/.test(l));
    expect(header, result.stdout).toBeGreaterThan(0);
    expect(lines[header - 1]).toMatch(/^comparison on \d+ test image\(s\) with onnxruntime-node/);
    // The new fp32 export replaced the earlier one; the deleted int8 bundle is not compared.
    expect(lines.slice(header + 1).filter((l) => l.trim())).toEqual([
      expect.stringMatching(/^onnx \(fp32\)\s+\d\.\d{4}/),
    ]);
  }, 240_000);
});
