/** The engine's featureMaps method: the cached Predictor's model, its card's preprocessing, through ml/inspect. */
import * as tf from '@tensorflow/tfjs';
import type { EngineParsedRequestOf } from '../../contract/engine/protocol';
import type { FeatureMapsReply } from '../../contract/index';
import { preprocessFrame } from '../data/preprocessing';
import { defaultTargetLayer, featureMapLayers } from '../explain/layer-split';
import { firstFilters, layerActivations } from '../inspect/feature-maps';
import { throwIfCancelled, type MethodContext } from '../worker/runtime';
import { predictorFor } from './training';

export async function featureMaps(
  request: EngineParsedRequestOf<'featureMaps'>,
  context: MethodContext<'featureMaps'>,
): Promise<FeatureMapsReply> {
  const predictor = await predictorFor(request.modelDir);
  throwIfCancelled(context.signal);
  const { model, card } = predictor;
  const { rows, columns, channels } = card.input;
  const layer = request.layer ?? defaultTargetLayer(model);
  const { input, placement } = preprocessFrame(request.frame, card.preprocessing);
  const image = tf.tensor4d(input, [1, rows, columns, channels]);
  try {
    const maps = await layerActivations(model, image, layer, request.maxChannels);
    return {
      layers: featureMapLayers(model),
      layer,
      count: maps.count,
      total: maps.total,
      rows: maps.rows,
      columns: maps.columns,
      activations: maps.values,
      input: { rows, columns },
      placement,
      filters: await firstFilters(model, request.maxChannels),
    };
  } finally {
    image.dispose();
  }
}
