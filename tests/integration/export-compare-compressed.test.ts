/**
 * A run's comparison also holds the runs that compressed it: a classifier trained through the CLI,
 * a run pruned while fine-tuning from it and a run distilled from it. Until a compressed run is
 * exported, the table says it was not compared and why; once it is, its ONNX fp32 file is a row,
 * scored on the parent's test split with the accuracy `loupe eval` gives that run (another path).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluationFileSchema, exportComparisonSchema, type RunSummary } from '../../contract/index';
import { runCli } from '../helpers/cli';
import { importScans, labelClassification } from '../helpers/scan-workspace';
import { prepareWorkspace } from '../helpers/prepare-workspace';
import { requireBuild } from '../helpers/services';

let dir: string;
let workspace: string;
const runs = { parent: '', pruned: '', distilled: '' };

async function train(...extra: string[]): Promise<string> {
  const trained = await runCli(
    ['train', '--workspace', workspace, '--task', 'Lesion', '--epochs', '2', '--json', ...extra],
    { timeoutMs: 120_000 },
  );
  if (trained.code !== 0) throw new Error(trained.stderr);
  return (JSON.parse(trained.stdout) as RunSummary).runId;
}

async function exportRun(runId: string, out: string) {
  const result = await runCli(['export', '--workspace', workspace, '--run', runId, '--out', out, '--json'], {
    timeoutMs: 180_000,
  });
  expect(result.code, result.stderr).toBe(0);
  return exportComparisonSchema.parse((JSON.parse(result.stdout) as { comparison: unknown }).comparison);
}

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-export-compressed-'));
  workspace = path.join(dir, 'ws');
  await prepareWorkspace(workspace, async (call) => {
    const scans = await importScans(call, path.join(dir, 'scans'), { count: 48, size: 32, seed: 7 });
    await labelClassification(call, scans, 'Lesion');
  });
  runs.parent = await train();
  runs.pruned = await train('--fine-tune-from', runs.parent, '--prune-to', '0.5', '--prune-end', '1');
  runs.distilled = await train('--distill-from', runs.parent);
}, 400_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loupe export: the runs that pruned or distilled a run join its comparison', () => {
  it('says which compressed runs it could not compare, and why', async () => {
    const comparison = await exportRun(runs.parent, path.join(dir, 'parent-1'));
    expect(comparison.rows.map((r) => r.source.kind)).toEqual(['this run']);
    expect(comparison.skipped).toEqual(
      expect.arrayContaining([
        {
          runId: runs.pruned,
          kind: 'pruned',
          reason: `it has no ONNX fp32 export yet; export run ${runs.pruned} first`,
        },
        {
          runId: runs.distilled,
          kind: 'distilled',
          reason: `it has no ONNX fp32 export yet; export run ${runs.distilled} first`,
        },
      ]),
    );
    expect(comparison.skipped).toHaveLength(2);
  }, 240_000);

  it('scores an exported pruned run on the parent’s test split, as `loupe eval` scores that run', async () => {
    await exportRun(runs.pruned, path.join(dir, 'pruned'));
    const comparison = await exportRun(runs.parent, path.join(dir, 'parent-2'));
    expect(comparison.rows.map((r) => [r.source.kind, r.source.runId, r.precision])).toEqual([
      ['this run', runs.parent, 'fp32'],
      ['pruned', runs.pruned, 'fp32'],
    ]);
    const pruned = comparison.rows[1]!;
    expect(pruned.source.detail).toBe('50 % sparse');
    expect(pruned.outDir).toBe(path.join(dir, 'pruned'));
    expect(pruned.parity.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    const evalFile = path.join(dir, 'pruned-eval.json');
    expect((await runCli(['eval', '--workspace', workspace, '--run', runs.pruned, '--out', evalFile])).code).toBe(0);
    const evaluation = evaluationFileSchema.parse(JSON.parse(readFileSync(evalFile, 'utf8')));
    if (evaluation.metrics.task !== 'classification') throw new Error('expected a classification report');
    expect(comparison.images).toBe(evaluation.metrics.count);
    expect(pruned.metric).toBeCloseTo(evaluation.metrics.accuracy, 10);
    expect(comparison.skipped.map((s) => s.runId)).toEqual([runs.distilled]);
  }, 240_000);

  it('names the compressed rows in the text table', async () => {
    const result = await runCli(
      ['export', '--workspace', workspace, '--run', runs.parent, '--out', path.join(dir, 'parent-3')],
      { timeoutMs: 180_000 },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`^pruned ${runs.pruned}, 50 % sparse: onnx \\(fp32\\)\\s+\\d\\.\\d{4}`, 'm'),
    );
    expect(result.stdout).toContain(
      `not compared: distilled run ${runs.distilled}: it has no ONNX fp32 export yet; export run ${runs.distilled} first`,
    );
  }, 240_000);
});
