/**
 * What every export bundle shares, whatever its format: the frames of the images it is checked on,
 * the card's facts about the model (nothing that could name a patient), and the all-or-nothing
 * write of the bundle folder. Imports no runtime of its own.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { DecodedFrame, ModelCard, SamplePrediction } from '../../contract/index';
import type { EngineParsedRequestOf } from '../../contract/engine/protocol';
import { readTrainingFrame } from '../decode/frame-reader';

export type ExportSample = EngineParsedRequestOf<'export'>['dataset']['samples'][number];

/** Frames decoded and compared at a time. */
export const PARITY_CHUNK = 8;

export function framesOf(samples: readonly ExportSample[]): Promise<DecodedFrame[]> {
  return Promise.all(
    samples.map((s) => ('frame' in s.image ? s.image.frame : readTrainingFrame(s.image.path, s.image.frameIndex))),
  );
}

/** Classification accuracy of predictions against the samples' labels; null when either has none. */
export function accuracy(predictions: readonly SamplePrediction[], samples: readonly ExportSample[]): number | null {
  if (samples.some((s) => s.label === undefined) || predictions.some((p) => !('predicted' in p))) return null;
  return predictions.filter((p, i) => 'predicted' in p && p.predicted === samples[i]!.label).length / samples.length;
}

/** The `loupe` block of a bundle's card. The dataset block holds hashes and counts only; image paths and DICOM tags never enter a card. */
export function loupeFacts(card: ModelCard): object {
  return {
    task: card.task,
    classes: card.classes,
    model: card.model,
    input: card.input,
    output: card.output,
    preprocessing: card.preprocessing,
    metrics: card.metrics ? { ...card.metrics } : null,
    dataset: card.dataset,
    run: card.run,
    versions: card.versions,
    ...(card.detection ? { detection: card.detection } : {}),
    ...(card.verification ? { verification: card.verification } : {}),
  };
}

/** Writes the files in a staging folder and renames it into place: a reader sees all or nothing. */
export async function writeBundle(outDir: string, files: Record<string, Uint8Array | string>): Promise<void> {
  const parent = path.dirname(outDir);
  await fs.mkdir(parent, { recursive: true });
  const staging = path.join(parent, `.${path.basename(outDir)}.${randomBytes(6).toString('hex')}.tmp`);
  await fs.mkdir(staging);
  try {
    for (const [name, content] of Object.entries(files)) await fs.writeFile(path.join(staging, name), content);
    await fs.rm(outDir, { recursive: true, force: true });
    await fs.rename(staging, outDir);
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    throw error;
  }
}
