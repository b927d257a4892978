/**
 * The model a run trains: built fresh from the config, or started from an earlier Loupe model
 * folder or any TF.js layers model (fine-tuning). The source's last Dense/Conv2D layer is its
 * head: `replace` gives way to a new one for this task's classes; `keep` keeps it, made to output
 * logits (an imported softmax/sigmoid is taken off, weights kept).
 */
import * as tf from '@tensorflow/tfjs';
import { LoupeError, type FineTuneConfig, type ModelConfig } from '../../contract/index';
import { loadLayersModelFile } from '../model-io/layers-files';
import { loadModelFolder } from '../model-io/model-folder';
import { BuildContext } from '../models/common';
import { conv2d } from '../models/conv2d';
import { buildModel, HEAD_PREFIX, segmentationOutputChannels, type ModelTarget } from '../models/index';
import { backboneLayerNames, countedLayers } from './parameters';

export interface RunModel {
  model: tf.LayersModel;
  /** The architecture trained: the config's, a Loupe source's own, or `imported`. */
  modelConfig: ModelConfig;
  /** Layers that count as backbone for the backbone learning-rate factor. */
  backboneLayers: Set<string>;
}

export async function modelForRun(
  modelConfig: ModelConfig,
  fineTune: FineTuneConfig | undefined,
  target: ModelTarget,
): Promise<RunModel> {
  if (!fineTune) {
    const model = buildModel(modelConfig, target);
    return { model, modelConfig, backboneLayers: backboneLayerNames(model) };
  }
  if (fineTune.from.kind === 'run') {
    // The services turn a run into its model folder before training starts (main/services/training/fine-tune-source.ts).
    throw new LoupeError(
      'INVALID_REQUEST',
      `Run ${fineTune.from.runId} was not resolved to its model folder; start fine-tuning through Loupe's training.start.`,
    );
  }
  let built: RunModel;
  const wholeModelTask = target.task === 'detection' || target.task === 'verification';
  if (wholeModelTask && (fineTune.from.kind !== 'loupe-model' || fineTune.head !== 'keep')) {
    // Their heads are several layers (heatmap, size and offset branches; pooling, dense, L2) that a cut at one layer would break.
    throw new LoupeError(
      'INVALID_REQUEST',
      `A ${target.task} run continues from a Loupe ${target.task} model with head "keep"; start a new model otherwise.`,
    );
  }
  if (fineTune.from.kind === 'loupe-model') {
    const source = await loadModelFolder(fineTune.from.dir);
    const where = `The model in ${fineTune.from.dir}`;
    if (source.card.task !== target.task)
      throw new LoupeError('INVALID_REQUEST', `${where} does ${source.card.task}; this run does ${target.task}.`);
    built = wholeModelTask
      ? wholeModel(source.model, where, target, source.card.model)
      : withHead(source.model, where, fineTune, target, source.card.model, true);
  } else {
    const source = await loadLayersModelFile(fineTune.from.modelJson);
    built = withHead(
      source,
      fineTune.from.modelJson,
      fineTune,
      target,
      { architecture: 'imported', modelJson: fineTune.from.modelJson },
      false,
    );
  }
  const layerCount = countedLayers(built.model).length;
  const mostFrozen = Math.max(fineTune.freezeLayers, ...fineTune.unfreeze.map((u) => u.freezeLayers));
  if (mostFrozen > layerCount)
    throw new LoupeError('INVALID_REQUEST', `Cannot freeze ${mostFrozen} layers: the model has ${layerCount}.`);
  return built;
}

/** A detector or embedding model kept whole: its input must fit, and a detector's classes must match. */
function wholeModel(source: tf.LayersModel, where: string, target: ModelTarget, modelConfig: ModelConfig): RunModel {
  const [, h, w, c] = source.inputs[0]!.shape;
  const [rows, columns, channels] = target.inputShape;
  if (h !== rows || w !== columns || c !== channels) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `${where} takes input [${[h, w, c].join(', ')}]; set the preprocessing to ${h}×${w} with ${c} channel(s).`,
    );
  }
  const outputs = source.outputs[0]!.shape.at(-1);
  if (target.task === 'detection' && outputs !== target.numClasses + 4) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `${where} detects ${(outputs ?? 4) - 4} classes; this run has ${target.numClasses}.`,
    );
  }
  return { model: source, modelConfig, backboneLayers: backboneLayerNames(source) };
}

const HEAD_CLASSES = ['Dense', 'Conv2D'];

function withHead(
  source: tf.LayersModel,
  where: string,
  fineTune: FineTuneConfig,
  target: ModelTarget,
  modelConfig: ModelConfig,
  outputsLogits: boolean,
): RunModel {
  const inputShape = source.inputs[0]!.shape;
  const [, h, w, c] = inputShape;
  const [rows, columns, channels] = target.inputShape;
  if (inputShape.length !== 4 || (h !== null && h !== rows) || (w !== null && w !== columns) || c !== channels) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `${where} takes input [${inputShape.slice(1).join(', ')}]; set the preprocessing to ${h ?? rows}×${w ?? columns} with ${c} channel(s).`,
    );
  }
  const last = source.layers.at(-1)!;
  if (!HEAD_CLASSES.includes(last.getClassName()))
    throw new LoupeError(
      'INVALID_REQUEST',
      `${where} does not end in a Dense or Conv2D layer, so Loupe cannot find its head.`,
    );
  const units = target.task === 'segmentation' ? segmentationOutputChannels(target.numClasses) : target.numClasses;
  const features = last.input as tf.SymbolicTensor;
  const isDense = last.getClassName() === 'Dense';
  let head: tf.layers.Layer;
  if (fineTune.head === 'replace') {
    const ctx = new BuildContext(target.seed);
    const name = `${HEAD_PREFIX}finetune_logits`;
    head = isDense
      ? tf.layers.dense({ name, units, kernelInitializer: ctx.glorotUniform() })
      : conv2d({ name, filters: units, kernelSize: 1, kernelInitializer: ctx.glorotUniform() });
    head.apply(features);
  } else {
    const outputs = (last.outputShape as number[]).at(-1);
    if (outputs !== units)
      throw new LoupeError(
        'INVALID_REQUEST',
        `Keeping the head needs ${units} outputs; ${where} has ${outputs}. Use head "replace".`,
      );
    if (outputsLogits) {
      return { model: source, modelConfig, backboneLayers: backboneLayerNames(source) };
    }
    // The engine trains on logits: the same layer without its softmax/sigmoid, weights copied.
    const config = { ...last.getConfig(), activation: 'linear', name: `${HEAD_PREFIX}${last.name}` };
    head = isDense
      ? tf.layers.dense(config as unknown as Parameters<typeof tf.layers.dense>[0])
      : conv2d(config as unknown as Parameters<typeof tf.layers.conv2d>[0]);
    head.apply(features);
    head.setWeights(last.getWeights());
  }
  const model = tf.model({ inputs: source.inputs, outputs: head.output as tf.SymbolicTensor });
  return { model, modelConfig, backboneLayers: backboneLayerNames(model) };
}
