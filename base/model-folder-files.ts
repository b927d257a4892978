/**
 * The names of a Loupe model folder's files and its card reader: what the services in main need
 * to find and describe a model without loading TensorFlow.js (ml/model-io loads the model).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LoupeError, describeIssues, modelCardSchema, type ModelCard } from '../contract/index';

export const MODEL_CARD = 'model-card.json';
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

export async function readModelCard(dir: string): Promise<ModelCard> {
  const file = path.join(dir, MODEL_CARD);
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new LoupeError(
      'NOT_FOUND',
      missing ? `${dir} is not a Loupe model folder (no ${MODEL_CARD}).` : `${file} is not valid JSON.`,
      { cause: error },
    );
  }
  const card = modelCardSchema.safeParse(raw);
  if (!card.success)
    throw new LoupeError('INVALID_REQUEST', `${file} is not a Loupe model card: ${describeIssues(card.error.issues)}`);
  return card.data;
}
