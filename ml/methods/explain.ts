/** The engine's explain method: the cached Predictor's model and card, through ml/explain. */
import type { EngineParsedRequestOf } from '../../contract/engine/protocol';
import type { ExplainReply } from '../../contract/index';
import { throwIfCancelled, yieldToMessages, type MethodContext } from '../worker/runtime';
import { explainClassification, type ExplainOptions } from '../explain/explain-classification';
import { explainSegmentation } from '../explain/explain-segmentation';
import { featureMapLayers } from '../explain/layer-split';
import { predictorFor } from './training';

export async function explain(
  request: EngineParsedRequestOf<'explain'>,
  context: MethodContext<'explain'>,
): Promise<ExplainReply> {
  const predictor = await predictorFor(request.modelDir);
  const explanations: ExplainReply['explanations'] = [];
  for (const frame of request.frames) {
    throwIfCancelled(context.signal);
    const options: ExplainOptions = {
      method: request.method,
      trust: request.trust,
      betweenPasses: async () => {
        throwIfCancelled(context.signal);
        await yieldToMessages();
      },
      ...(request.classIndex !== undefined ? { classIndex: request.classIndex } : {}),
      ...(request.targetLayer !== undefined ? { targetLayer: request.targetLayer } : {}),
    };
    const result =
      predictor.card.task === 'segmentation'
        ? await explainSegmentation(predictor.model, predictor.card, frame, options)
        : await explainClassification(predictor.model, predictor.card, frame, options);
    const probability = 'probability' in result ? result.probability : result.probabilities[result.classIndex]!;
    explanations.push({
      heatmap: result.heatmap.values,
      rows: result.heatmap.rows,
      columns: result.heatmap.columns,
      classIndex: result.classIndex,
      probability,
      peak: result.peak,
      targetLayer: result.targetLayer,
      ...(result.trust ? { trust: result.trust } : {}),
      ...('wholeImage' in result ? { region: { pixels: result.regionPixels, wholeImage: result.wholeImage } } : {}),
    });
    await yieldToMessages();
  }
  return {
    classes: predictor.card.classes,
    method: request.method,
    layers: featureMapLayers(predictor.model),
    explanations,
  };
}
