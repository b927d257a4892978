import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { trainingConfigSchema } from '../../../contract/index';
import {
  addCompressionOptions,
  compressionLines,
  withCompression,
  type CompressionOptions,
} from './compression-options';

const defaults = trainingConfigSchema.parse({
  task: 'classification',
  model: { architecture: 'mobilenet-v2', widthMultiplier: 0.35 },
  preprocessing: { rows: 64, columns: 64 },
  loss: { name: 'cross-entropy' },
});
const TEACHER = 'run-20260101-093000-1a2b';

function parse(args: string[]): CompressionOptions {
  const command = addCompressionOptions(new Command().exitOverride());
  command.parse(args, { from: 'user' });
  return command.opts<CompressionOptions>();
}

describe('loupe train --prune-to / --distill-from', () => {
  it('turns the flags into the configuration, schema defaults filled in', () => {
    const config = withCompression(
      defaults,
      parse([
        '--prune-to',
        '0.8',
        '--prune-start',
        '1',
        '--prune-end',
        '6',
        '--distill-from',
        TEACHER,
        '--distill-alpha',
        '0.7',
      ]),
    );
    expect(config).toMatchObject({
      prune: { targetSparsity: 0.8, startEpoch: 1, endEpoch: 6, initialSparsity: 0, frequency: 10, power: 3 },
      distill: { teacherRunId: TEACHER, temperature: 4, alpha: 0.7 },
    });
    expect(trainingConfigSchema.parse(config)).toEqual(config);
    expect(compressionLines(config as typeof defaults)).toEqual([
      'pruning to 80 % zeros from epoch 1 to 6 (per layer, by magnitude, every 10 steps)',
      `distilling from run ${TEACHER}: temperature 4, α 0.7`,
    ]);
  });

  it('leaves the configuration alone without the flags, and refuses companions without their flag', () => {
    expect(withCompression(defaults, parse([]))).toBe(defaults);
    expect(withCompression(defaults, parse(['--prune-end', '4']))).toMatch(/go with --prune-to/);
    expect(withCompression(defaults, parse(['--distill-temperature', '2']))).toMatch(/go with --distill-from/);
    expect(withCompression(defaults, parse(['--prune-to', '0.5', '--prune-start', '3', '--prune-end', '3']))).toMatch(
      /must come after/,
    );
  });

  it('rejects values out of range at parse time', () => {
    expect(() => parse(['--prune-to', '1'])).toThrow(/fraction of zeros/);
    expect(() => parse(['--distill-from', 'best'])).toThrow(/run id/);
    expect(() => parse(['--distill-alpha', '1.5'])).toThrow(/from 0 to 1/);
  });
});
