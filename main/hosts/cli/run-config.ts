/**
 * `loupe train --config FILE`: a configuration file over the task's defaults. The file may be
 * an earlier run's run.json (its configuration is reused: same model, loss, schedule, seed…) or
 * a configuration object naming only what differs from the defaults. Objects with a kind
 * (model, loss, optimizer, schedule, monitor, …) replace the default whole, since their fields
 * depend on the kind; preprocessing and augmentation merge field by field.
 */
import { readFileSync } from 'node:fs';
import { LoupeError, describeIssues, trainingConfigSchema, type TrainingConfig } from '../../../contract/index';

/** Sections of a config that merge with the defaults field by field. */
const MERGED_SECTIONS = new Set(['preprocessing', 'augment']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function applyConfigFile(defaults: TrainingConfig, content: unknown, file: string): TrainingConfig {
  if (!isObject(content))
    throw new LoupeError('INVALID_REQUEST', `${file} must hold a JSON object (a configuration, or a run.json).`);
  const given = content.format === 'loupe-run' ? content.config : content;
  if (!isObject(given)) throw new LoupeError('INVALID_REQUEST', `${file} is a run record without a configuration.`);
  const merged: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(given)) {
    const base = merged[key];
    merged[key] = MERGED_SECTIONS.has(key) && isObject(base) && isObject(value) ? { ...base, ...value } : value;
  }
  const parsed = trainingConfigSchema.safeParse(merged);
  if (!parsed.success) throw new LoupeError('INVALID_REQUEST', `${file}: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

export function readConfigFile(defaults: TrainingConfig, file: string): TrainingConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new LoupeError(
      'NOT_FOUND',
      `Could not read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
    );
  }
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch {
    throw new LoupeError('INVALID_REQUEST', `${file} is not valid JSON.`);
  }
  return applyConfigFile(defaults, content, file);
}
