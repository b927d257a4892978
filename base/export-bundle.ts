/**
 * An exported ONNX bundle (`loupe export`: model.onnx beside a model-card.json of format
 * `loupe-export`) read as a model Loupe can predict with: its card's `loupe` block is the model
 * card it was exported from, less the fields that could name a patient. tfjs- and
 * onnxruntime-free, so main can describe a bundle and only the engine runs it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LoupeError, describeIssues, modelCardSchema, type ModelCard } from '../contract/index';
import { MODEL_CARD } from './model-folder-files';

export const ONNX_MODEL = 'model.onnx';
export const EXPORT_CARD_FORMAT = 'loupe-export';

export interface ExportBundle {
  card: ModelCard;
  /** The graph takes modality values (it scales them itself) rather than the preprocessed input. */
  preprocessingBaked: boolean;
  inputName: string;
  outputName: string;
}

interface BundleCardJson {
  format?: unknown;
  onnx?: { preprocessingBaked?: unknown; input?: { name?: unknown }; output?: { name?: unknown } };
  loupe?: Record<string, unknown>;
}

/** The bundle in `dir`, or null when `dir` is not one (a Loupe model folder, or anything else). */
export async function readExportBundle(dir: string): Promise<ExportBundle | null> {
  const file = path.join(dir, MODEL_CARD);
  const text = await fs.readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  let raw: BundleCardJson;
  try {
    raw = JSON.parse(text) as BundleCardJson;
  } catch {
    return null;
  }
  if (raw?.format !== EXPORT_CARD_FORMAT) return null;
  const onnxFile = path.join(dir, ONNX_MODEL);
  const exists = await fs.stat(onnxFile).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!exists) throw new LoupeError('NOT_FOUND', `${dir} has no ${ONNX_MODEL}; the exported bundle is incomplete.`);
  // The export leaves out the card's creation time; the bundle file's own time stands in for it.
  const createdAt = (await fs.stat(onnxFile)).mtime.toISOString();
  const card = modelCardSchema.safeParse({ format: 'loupe-model', version: 1, createdAt, ...raw.loupe });
  const { input, output, preprocessingBaked } = raw.onnx ?? {};
  if (
    !card.success ||
    typeof input?.name !== 'string' ||
    typeof output?.name !== 'string' ||
    typeof preprocessingBaked !== 'boolean'
  )
    throw new LoupeError(
      'INVALID_REQUEST',
      `${file} is not an export card this version of Loupe reads${card.success ? '' : `: ${describeIssues(card.error.issues)}`}; export the model again with this version.`,
    );
  return { card: card.data, preprocessingBaked, inputName: input.name, outputName: output.name };
}
