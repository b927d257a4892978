/**
 * `loupe train --prune-to S [--prune-start E --prune-end E]` and `--distill-from RUN
 * [--distill-temperature T --distill-alpha A]`: the flags become the configuration's `prune` and
 * `distill`; whether the teacher run exists, completed and fits is the service's and engine's answer.
 */
import { InvalidArgumentError, type Command } from 'commander';
import {
  DEFAULT_DISTILL_ALPHA,
  DEFAULT_DISTILL_TEMPERATURE,
  DEFAULT_PRUNING_FREQUENCY,
  DEFAULT_PRUNING_POWER,
  distillConfigSchema,
  runIdSchema,
  type TrainingConfig,
} from '../../../contract/index';

export interface CompressionOptions {
  pruneTo?: number;
  pruneStart?: number;
  pruneEnd?: number;
  distillFrom?: string;
  distillTemperature?: number;
  distillAlpha?: number;
}

function sparsity(value: string): number {
  const s = Number(value);
  if (value.trim() === '' || !(s > 0 && s < 1))
    throw new InvalidArgumentError('give a fraction of zeros between 0 and 1, e.g. 0.8.');
  return s;
}

function epochIndex(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('give an epoch number (0 or more).');
  return n;
}

function runId(value: string): string {
  if (!runIdSchema.safeParse(value).success)
    throw new InvalidArgumentError('give a run id such as run-20250101-093000-1a2b.');
  return value;
}

function positive(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n > 0)) throw new InvalidArgumentError('give a number above 0.');
  return n;
}

function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError('give a number from 0 to 1.');
  return n;
}

export function addCompressionOptions(command: Command): Command {
  return command
    .option(
      '--prune-to <sparsity>',
      'magnitude-prune conv and dense kernels to this fraction of zeros, e.g. 0.8',
      sparsity,
    )
    .option('--prune-start <epoch>', 'with --prune-to: the epoch (0-based) pruning starts (default 0)', epochIndex)
    .option(
      '--prune-end <epoch>',
      'with --prune-to: the target is reached at the end of the epoch before this one (default: three quarters of the run)',
      epochIndex,
    )
    .option('--distill-from <run>', 'distil from this completed classification run (the teacher)', runId)
    .option(
      '--distill-temperature <t>',
      `with --distill-from: softmax temperature (default ${DEFAULT_DISTILL_TEMPERATURE})`,
      positive,
    )
    .option(
      '--distill-alpha <a>',
      `with --distill-from: weight of the teacher's soft targets, 0…1 (default ${DEFAULT_DISTILL_ALPHA})`,
      fraction,
    );
}

/** The configuration with the flags' pruning and distillation, or what is wrong with the flags. */
export function withCompression(config: TrainingConfig, options: CompressionOptions): TrainingConfig | string {
  let next = config;
  if (options.pruneTo === undefined) {
    if (options.pruneStart !== undefined || options.pruneEnd !== undefined)
      return '--prune-start and --prune-end go with --prune-to.';
  } else {
    const startEpoch = options.pruneStart ?? config.prune?.startEpoch ?? 0;
    const endEpoch = options.pruneEnd ?? config.prune?.endEpoch;
    if (endEpoch !== undefined && endEpoch <= startEpoch) return '--prune-end must come after --prune-start.';
    next = {
      ...next,
      prune: {
        initialSparsity: config.prune?.initialSparsity ?? 0,
        frequency: config.prune?.frequency ?? DEFAULT_PRUNING_FREQUENCY,
        power: config.prune?.power ?? DEFAULT_PRUNING_POWER,
        targetSparsity: options.pruneTo,
        startEpoch,
        ...(endEpoch !== undefined ? { endEpoch } : {}),
      },
    };
  }
  if (options.distillFrom === undefined) {
    if (options.distillTemperature !== undefined || options.distillAlpha !== undefined)
      return '--distill-temperature and --distill-alpha go with --distill-from.';
  } else {
    next = {
      ...next,
      distill: distillConfigSchema.parse({
        teacherRunId: options.distillFrom,
        temperature: options.distillTemperature ?? config.distill?.temperature,
        alpha: options.distillAlpha ?? config.distill?.alpha,
      }),
    };
  }
  return next;
}

/** One line per compression option in force, for the run's opening message. */
export function compressionLines(config: TrainingConfig): string[] {
  const lines: string[] = [];
  const p = config.prune;
  if (p)
    lines.push(
      `pruning to ${(p.targetSparsity * 100).toFixed(0)} % zeros from epoch ${p.startEpoch}${p.endEpoch !== undefined ? ` to ${p.endEpoch}` : ''} (per layer, by magnitude, every ${p.frequency} steps)`,
    );
  const d = config.distill;
  if (d) lines.push(`distilling from run ${d.teacherRunId}: temperature ${d.temperature}, α ${d.alpha}`);
  return lines;
}
