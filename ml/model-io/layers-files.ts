/**
 * TF.js layers models on disk (model.json + weights.bin, the format tfjs's converters and
 * `tf.loadLayersModel` read), through an IOHandler of our own: tfjs's `file://` handler needs
 * tfjs-node, and ours writes every file atomically.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { LoupeError } from '../../contract/index';
import { writeFileAtomic } from '../../base/atomic-write';
import { MODEL_JSON, WEIGHTS_BIN } from '../../base/model-folder-files';
// Loupe's batch norm and convolution in place of tfjs's, so that a model read from disk trains with them.
import '../models/batch-norm';
import '../models/batch-norm-relu';
import '../models/conv2d';

function weightBytes(data: tf.io.WeightData): Uint8Array {
  const joined = Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
  return new Uint8Array(joined);
}

/** Saves into `dir` (which must exist) as model.json + weights.bin. */
export function layersSaveHandler(dir: string): tf.io.IOHandler {
  return {
    save: async (artifacts) => {
      if (!artifacts.weightData || !artifacts.weightSpecs)
        throw new LoupeError('INTERNAL', 'The model has no weights to save.');
      const bytes = weightBytes(artifacts.weightData);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology!,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs }],
      };
      await writeFileAtomic(path.join(dir, WEIGHTS_BIN), bytes);
      await writeFileAtomic(path.join(dir, MODEL_JSON), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(modelJson as unknown as tf.io.ModelArtifacts) };
    },
  };
}

/** Reads a model.json and the weight files its manifest names (paths relative to it). */
export function layersLoadHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    load: async () => {
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(await fs.readFile(modelJsonPath, 'utf8')) as tf.io.ModelJSON;
      } catch (error) {
        const reason =
          (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'is not a readable model.json';
        throw new LoupeError('NOT_FOUND', `${modelJsonPath} ${reason}.`, { cause: error });
      }
      if (!modelJson.modelTopology || !Array.isArray(modelJson.weightsManifest)) {
        throw new LoupeError(
          'INVALID_REQUEST',
          `${modelJsonPath} is not a TF.js layers model (no modelTopology or weightsManifest).`,
        );
      }
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const file of group.paths) {
            const resolved = path.resolve(path.dirname(modelJsonPath), file);
            const bytes = await fs.readFile(resolved).catch((error: unknown) => {
              throw new LoupeError('NOT_FOUND', `The weights file ${resolved} named by ${modelJsonPath} is missing.`, {
                cause: error,
              });
            });
            // A file's own buffer as it is (a large file's always is); a small one may share Node's pool.
            const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
            buffers.push(
              whole
                ? (bytes.buffer as ArrayBuffer)
                : (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer),
            );
          }
        }
        // The files as they are: tfjs reads each weight out of them across file boundaries, so
        // joining them first would copy every weight once more (45 MB for ResNet-18).
        return [specs, buffers];
      });
    },
  };
}

export async function loadLayersModelFile(modelJsonPath: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(layersLoadHandler(modelJsonPath));
}
