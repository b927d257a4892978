import { describe, expect, it } from 'vitest';
import { parentFolder } from './folder-path';

describe('parentFolder', () => {
  it.each([
    ['/data/scans/new', '/data/scans'],
    ['/data/scans/', '/data'],
    ['/data', '/'],
    ['/', '/'],
    ['C:\\data\\x', 'C:\\data'],
    ['C:\\data', 'C:\\'],
    ['C:\\', 'C:\\'],
    ['scans', 'scans'],
  ])('%s → %s', (path, parent) => {
    expect(parentFolder(path)).toBe(parent);
  });

  it('reaches a root from any folder, one step at a time', () => {
    for (const start of ['/a/b/c/d', 'C:\\a\\b\\c']) {
      let path = start;
      for (let steps = 0; steps < 10 && parentFolder(path) !== path; steps++) path = parentFolder(path);
      expect(['/', 'C:\\']).toContain(path);
    }
  });
});
