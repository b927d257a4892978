import { describe, expect, it } from 'vitest';
import { commandUsesEngine } from './early-engine';

const argv = (...args: string[]) => ['node', 'loupe', ...args];

describe('commandUsesEngine', () => {
  it('is true for the commands that call the engine, after global options too', () => {
    for (const command of ['predict', 'train', 'eval', 'explain', 'export', 'feature-maps', 'engine', 'gallery'])
      expect(commandUsesEngine(argv(command, '--model', '/m'))).toBe(true);
    expect(commandUsesEngine(argv('--debug', 'predict', '--model', '/m'))).toBe(true);
  });

  it('is false for commands that never call it, for help and the version, and for no command', () => {
    for (const args of [
      ['labels', 'export'],
      ['review', 'export'],
      ['import', '/scans'],
      ['runs'],
      ['predict', 'merge', '/a', '/b', '--out', '/c'],
      ['start', '--browser'],
      ['predict', '--help'],
      ['-h'],
      ['--version'],
      [],
    ])
      expect(commandUsesEngine(argv(...args))).toBe(false);
  });
});
