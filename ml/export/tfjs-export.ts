/**
 * A Loupe layers model → a TF.js bundle: model.json with weight shards (tfjs's layers format, as
 * `tf.loadLayersModel` reads it over http or from files), loupe-model.js (the same model.json and
 * weights as base64, for a page opened from file://, where fetch is refused), loupe-preprocess.js and loupe.js
 * (Loupe's preprocessing, its custom layer and output handling for stock tfjs), tf.min.js (tfjs's own
 * browser build), and index.html + page.js: the offline page that predicts a dropped image.
 */
import * as tf from '@tensorflow/tfjs';
import { LoupeError, type ModelCard } from '../../contract/index';
import indexHtml from './tfjs-page/index.html?raw';
import loupePreprocessJs from './tfjs-page/loupe-preprocess.js?raw';
import loupeJs from './tfjs-page/loupe.js?raw';
import pageJs from './tfjs-page/page.js?raw';
import { resolvedDetectionSettings } from '../train/tasks/settings';
import { tfjsBuild } from './tfjs-stock';

export const TFJS_FILES = {
  modelJson: 'model.json',
  modelScript: 'loupe-model.js',
  preprocess: 'loupe-preprocess.js',
  code: 'loupe.js',
  tfjs: 'tf.min.js',
  page: 'index.html',
  pageScript: 'page.js',
} as const;

/** Weight shard size: tfjs-converter's default (4 MiB), so browsers cache and fetch it in pieces. */
const SHARD_BYTES = 4 * 1024 * 1024;

/** Layers of Loupe's own that loupe.js registers with stock tfjs (class names as model.json has them). */
const CUSTOM_LAYERS = ['LoupeL2Normalize'] as const;

/** Why the page cannot show this model's predictions, or null when it can. */
export function pageReason(card: ModelCard): string | null {
  // loupe.js decodes boxes with hard NMS only, as the ONNX runner does.
  if (card.task === 'detection' && resolvedDetectionSettings(card.detection, undefined).method !== 'nms')
    return "this detector's card asks for soft-NMS, and the page applies hard NMS only";
  if (card.task === 'verification' && !card.verification)
    return 'this verification model has no decision threshold in its card; train it again with this version of Loupe';
  return null;
}

export interface TfjsBundle {
  files: Record<string, Uint8Array | string>;
  /** Bytes of the weights (all shards). */
  weightBytes: number;
  shards: string[];
  customLayers: string[];
  /** index.html, or null when the page does not handle this task. */
  page: string | null;
  /** loupe-preprocess.js, loupe.js and loupe-model.js, in the order the page loads them, as the parity check runs them. */
  scripts: { name: string; text: string }[];
}

async function artifactsOf(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved) throw new LoupeError('INTERNAL', 'TF.js gave no model artifacts to export.');
  return saved;
}

function shardNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}.bin`);
}

export async function buildTfjsBundle(model: tf.LayersModel, card: ModelCard, pageCard: object): Promise<TfjsBundle> {
  const artifacts = await artifactsOf(model);
  if (!artifacts.weightData || !artifacts.weightSpecs)
    throw new LoupeError('INTERNAL', 'The model has no weights to export.');
  const data = artifacts.weightData;
  const weights = new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);
  const shards = shardNames(Math.max(1, Math.ceil(weights.length / SHARD_BYTES)));
  const modelJson = {
    format: 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: 'Loupe TF.js export',
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: shards.map((s) => `./${s}`), weights: artifacts.weightSpecs }],
  };
  const topology = JSON.stringify(artifacts.modelTopology);
  const customLayers = CUSTOM_LAYERS.filter((name) => topology.includes(`"class_name":"${name}"`));
  const modelScript = `globalThis.LOUPE_MODEL = ${JSON.stringify({
    card: pageCard,
    modelJson,
    weightsBase64: Buffer.from(weights).toString('base64'),
  })};\n`;
  const page = pageReason(card) === null ? TFJS_FILES.page : null;
  const files: Record<string, Uint8Array | string> = {
    [TFJS_FILES.modelJson]: JSON.stringify(modelJson),
    [TFJS_FILES.modelScript]: modelScript,
    [TFJS_FILES.preprocess]: loupePreprocessJs,
    [TFJS_FILES.code]: loupeJs,
    [TFJS_FILES.tfjs]: tfjsBuild(),
    ...(page ? { [TFJS_FILES.page]: indexHtml, [TFJS_FILES.pageScript]: pageJs } : {}),
  };
  shards.forEach((name, i) => (files[name] = weights.subarray(i * SHARD_BYTES, (i + 1) * SHARD_BYTES)));
  return {
    files,
    weightBytes: weights.length,
    shards,
    customLayers,
    page,
    scripts: [
      { name: TFJS_FILES.preprocess, text: loupePreprocessJs },
      { name: TFJS_FILES.code, text: loupeJs },
      { name: TFJS_FILES.modelScript, text: modelScript },
    ],
  };
}
