import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openOutput, type BatchHeader } from './output-folder';

const header: BatchHeader = {
  format: 'loupe-batch',
  version: 1,
  modelId: 'run-1',
  weightsSha256: 'a'.repeat(64),
  task: 'classification',
  classes: ['a', 'b'],
  formats: ['csv'],
  shard: null,
  threshold: null,
  explain: 'gradcam',
  createdAt: '2026-01-01T00:00:00.000Z',
};

let folder: string;
beforeEach(() => {
  folder = path.join(mkdtempSync(path.join(os.tmpdir(), 'loupe-heatmaps-')), 'out');
});
afterEach(() => rmSync(path.dirname(folder), { recursive: true, force: true }));

describe('predict --explain and --resume', () => {
  it('resumes a folder only with the --explain it was started with', async () => {
    await (await openOutput(folder, header, false)).close();
    await expect(openOutput(folder, { ...header, explain: null }, true)).rejects.toThrow(
      'was predicted with --explain gradcam; resume it the same way',
    );
    await expect(openOutput(folder, { ...header, explain: 'cam' }, true)).rejects.toThrow(/--explain gradcam/);
    await (await openOutput(folder, header, true)).close();
  });

  it('refuses --explain on a folder started without it', async () => {
    await (await openOutput(folder, { ...header, explain: null }, false)).close();
    await expect(openOutput(folder, header, true)).rejects.toThrow('was predicted without --explain');
  });
});
