/**
 * `loupe train --fine-tune-from SOURCE [--freeze N] [--backbone-lr-factor F]`: the source is a
 * run id of the workspace, a Loupe model folder, or a TF.js layers model.json. The flags become the
 * configuration's `fineTune`; whether the source exists and fits is the service's answer
 * (training.start), the same check the Train form meets.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import {
  fineTuneHeadFor,
  runIdSchema,
  SUGGESTED_BACKBONE_LR_FACTOR,
  type FineTuneSource,
  type TrainingConfig,
} from '../../../contract/index';
import { MODEL_CARD } from '../../../base/model-folder-files';

export interface FineTuneOptions {
  fineTuneFrom?: string;
  freeze?: number;
  backboneLrFactor?: number;
}

export function freezeCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('give a whole number of layers (0 or more).');
  return n;
}

export function learningRateFactor(value: string): number {
  const f = Number(value);
  if (value.trim() === '' || !Number.isFinite(f) || f < 0 || f > 1)
    throw new InvalidArgumentError('give a factor from 0 (backbone does not learn) to 1 (full rate).');
  return f;
}

/** A run id names a run; a .json file is a TF.js model (a Loupe model's own model.json counts as its folder); anything else a model folder. */
export function fineTuneSource(value: string): FineTuneSource {
  if (runIdSchema.safeParse(value).success) return { kind: 'run', runId: value };
  const resolved = path.resolve(value);
  if (/\.json$/i.test(resolved)) {
    const folder = path.dirname(resolved);
    return existsSync(path.join(folder, MODEL_CARD))
      ? { kind: 'loupe-model', dir: folder }
      : { kind: 'tfjs-layers', modelJson: resolved };
  }
  return { kind: 'loupe-model', dir: resolved };
}

/** The configuration with the flags' fine-tuning (unchanged without --fine-tune-from), or what is wrong with the flags. */
export function withFineTune(config: TrainingConfig, options: FineTuneOptions): TrainingConfig | string {
  if (!options.fineTuneFrom) {
    if (options.freeze !== undefined || options.backboneLrFactor !== undefined)
      return '--freeze and --backbone-lr-factor go with --fine-tune-from.';
    return config;
  }
  const earlier = config.fineTune;
  return {
    ...config,
    fineTune: {
      head: earlier?.head ?? fineTuneHeadFor(config.task),
      unfreeze: earlier?.unfreeze ?? [],
      from: fineTuneSource(options.fineTuneFrom),
      freezeLayers: options.freeze ?? earlier?.freezeLayers ?? 0,
      backboneLearningRateFactor:
        options.backboneLrFactor ?? earlier?.backboneLearningRateFactor ?? SUGGESTED_BACKBONE_LR_FACTOR,
    },
  };
}
