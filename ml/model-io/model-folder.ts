/**
 * A Loupe model folder: model.json + weights.bin (TF.js layers) and model-card.json (task,
 * classes, input, preprocessing, metrics, dataset hash, versions). Written into a staging folder
 * and renamed into place, so a reader sees a whole model or none.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { modelCardSchema, type ModelCard } from '../../contract/index';
import { MODEL_CARD, MODEL_JSON, readModelCard } from '../../base/model-folder-files';
import { writeFileAtomic } from '../../base/atomic-write';
import { layersLoadHandler, layersSaveHandler } from './layers-files';
// Registers the custom layer Siamese models end in, which loading must be able to find by name.
import '../siamese/embedding';

export async function saveModelFolder(dir: string, model: tf.LayersModel, card: ModelCard): Promise<void> {
  const parent = path.dirname(dir);
  await fs.mkdir(parent, { recursive: true });
  const staging = path.join(parent, `.${path.basename(dir)}.${randomBytes(6).toString('hex')}.tmp`);
  await fs.mkdir(staging);
  try {
    await model.save(layersSaveHandler(staging));
    await writeFileAtomic(path.join(staging, MODEL_CARD), JSON.stringify(modelCardSchema.parse(card), null, 2));
    // A folder cannot be renamed over a non-empty one: move the old model aside first.
    const old = path.join(parent, `.${path.basename(dir)}.${randomBytes(6).toString('hex')}.old`);
    const hadOld = await fs.rename(dir, old).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false;
        throw error;
      },
    );
    await fs.rename(staging, dir);
    if (hadOld) await fs.rm(old, { recursive: true, force: true });
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    throw error;
  }
}

export interface LoadedModel {
  model: tf.LayersModel;
  card: ModelCard;
}

export async function loadModelFolder(dir: string): Promise<LoadedModel> {
  const card = await readModelCard(dir);
  const model = await tf.loadLayersModel(layersLoadHandler(path.join(dir, MODEL_JSON)));
  return { model, card };
}
