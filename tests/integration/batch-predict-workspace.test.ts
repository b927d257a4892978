/**
 * The "done when", small: a user trains a classifier on a workspace with `loupe train`,
 * then `loupe predict --workspace W --run RUN` predicts a folder, one row per image, each row
 * naming the run and the SHA-256 of the run's weights.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../contract/index';
import { readCsv } from '../helpers/batch-predict';
import { runCli } from '../helpers/cli';
import { prepareWorkspace } from '../helpers/prepare-workspace';
import { importScans, labelClassification } from '../helpers/scan-workspace';
import { requireBuild } from '../helpers/services';

const SCANS = 40;
/** Tiny on purpose: this test is about the workspace path to the model, not accuracy. */
const TINY = { model: { architecture: 'small-cnn', filters: [4, 8] }, epochs: 1, augment: { rotationDegrees: 0 } };

let dir: string;
let workspace: string;
let scansFolder: string;

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-batch-ws-'));
  workspace = path.join(dir, 'ws');
  scansFolder = path.join(dir, 'scans');
  await prepareWorkspace(workspace, async (call) => {
    const scans = await importScans(call, scansFolder, { count: SCANS, size: 16, seed: 8 });
    await labelClassification(call, scans, 'Lesion');
  });
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loupe predict --workspace --run', () => {
  it('predicts a folder with a run trained by loupe train, one row per image', async () => {
    const config = path.join(dir, 'tiny.json');
    writeFileSync(config, JSON.stringify(TINY));
    const trained = await runCli(
      ['train', '--workspace', workspace, '--task', 'Lesion', '--config', config, '--json'],
      { timeoutMs: 300_000 },
    );
    expect(trained.code, trained.stderr).toBe(0);
    const run = JSON.parse(trained.stdout) as RunSummary;

    const out = path.join(dir, 'predictions');
    const { code, stdout, stderr } = await runCli(
      ['predict', '--workspace', workspace, '--run', run.runId, '--in', scansFolder, '--out', out],
      { timeoutMs: 300_000 },
    );
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(`${SCANS} files predicted (${SCANS} frames), 0 failed`);
    const { rows } = readCsv(out);
    expect(rows).toHaveLength(SCANS);
    expect(new Set(rows.map((r) => r[0])).size).toBe(SCANS);
    const weights = createHash('sha256')
      .update(readFileSync(path.join(workspace, 'runs', run.runId, 'model', 'weights.bin')))
      .digest('hex');
    for (const row of rows) expect(row.slice(-2)).toEqual([run.runId, weights]);
  }, 600_000);

  it('refuses a run that does not exist, and --run without --workspace', async () => {
    const missing = await runCli([
      'predict',
      '--workspace',
      workspace,
      '--run',
      'no-such-run',
      '--in',
      scansFolder,
      '--out',
      path.join(dir, 'o1'),
    ]);
    expect(missing.stderr).toMatch(/^loupe: .*no-such-run.*$/m);
    expect(missing.code).toBe(2);
    const alone = await runCli(['predict', '--run', 'x', '--in', scansFolder, '--out', path.join(dir, 'o2')]);
    expect(alone.stderr).toMatch(/--run needs --workspace/);
    expect(alone.code).toBe(2);
  }, 300_000);
});
