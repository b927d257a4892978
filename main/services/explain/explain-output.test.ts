import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { outputNames, prepareOutput } from './explain-output';
import { classIndexOf } from './explain-service';

const root = mkdtempSync(path.join(os.tmpdir(), 'loupe-explain-out-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('explain output folder', () => {
  it('names files by position (sorting as listed) and a safe form of the file name', () => {
    expect(outputNames(0, 12, '/scans/a/image.png')).toEqual({
      heatmap: 'heatmaps/01-image.png',
      overlay: 'overlays/01-image.png',
    });
    // Same file name in two folders: the position keeps them apart.
    expect(outputNames(1, 12, '/scans/b/image.png').heatmap).toBe('heatmaps/02-image.png');
    expect(outputNames(9, 10, '/scans/IM 0001 (ü).dcm').heatmap).toBe('heatmaps/10-IM_0001____.png');
    expect(outputNames(0, 1, '/scans/..').heatmap).toBe('heatmaps/1-...png');
  });

  it('makes a new folder, takes an empty one, and refuses one with files unless forced', async () => {
    const fresh = path.join(root, 'fresh', 'nested');
    await prepareOutput(fresh, false);
    expect(readdirSync(fresh).sort()).toEqual(['heatmaps', 'overlays']);
    const empty = path.join(root, 'empty');
    mkdirSync(empty);
    await prepareOutput(empty, false);
    const occupied = path.join(root, 'occupied');
    mkdirSync(occupied);
    writeFileSync(path.join(occupied, 'notes.txt'), 'x');
    await expect(prepareOutput(occupied, false)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('--force'),
    });
    await prepareOutput(occupied, true);
    expect(readdirSync(occupied).sort()).toEqual(['heatmaps', 'notes.txt', 'overlays']);
    await expect(prepareOutput(path.join(occupied, 'notes.txt'), true)).rejects.toThrow(/is a file/);
  });
});

describe('class names', () => {
  it('match exactly, then ignoring case; an unknown one lists the valid ones', () => {
    expect(classIndexOf(['normal', 'lesion'], 'lesion')).toBe(1);
    expect(classIndexOf(['normal', 'Lesion', 'lesion'], 'lesion')).toBe(2);
    expect(classIndexOf(['normal', 'lesion'], 'LESION')).toBe(1);
    expect(() => classIndexOf(['normal', 'lesion'], 'tumour')).toThrow(
      'The model has no class “tumour”; its classes are: normal, lesion.',
    );
  });
});
