/**
 * The engine's explain method: the cached Predictor's model and card, through ml/explain. One
 * method for every kind of model: classifiers and U-Nets get a map per frame, detectors a map per
 * box, verification models a map on each image of each pair.
 */
import type { EngineParsedRequestOf } from '../../contract/engine/protocol';
import { defaultExplainMethod, GRADIENT_CAM_METHODS, LoupeError, type ExplainReply } from '../../contract/index';
import { throwIfCancelled, yieldToMessages, type MethodContext } from '../worker/runtime';
import type { GradientCamMethod } from '../explain/cam';
import { explainClassification, type ExplainOptions } from '../explain/explain-classification';
import { explainDetection } from '../explain/explain-detection';
import { explainSegmentation } from '../explain/explain-segmentation';
import { explainVerification, type PairSide } from '../explain/explain-verification';
import { featureMapLayers } from '../explain/layer-split';
import type { Predictor } from '../train/predictor';
import { predictorFor } from './training';

type Request = EngineParsedRequestOf<'explain'>;

const isGradientCam = (method: string): method is GradientCamMethod =>
  (GRADIENT_CAM_METHODS as readonly string[]).includes(method);

function boxPairMethod(request: Request, task: string): GradientCamMethod {
  const method = request.method ?? defaultExplainMethod(task);
  if (!isGradientCam(method))
    throw new LoupeError(
      'INVALID_REQUEST',
      `A ${task} model is explained with ${GRADIENT_CAM_METHODS.join(', ')}; ${method} is for classifiers.`,
    );
  if (request.classIndex !== undefined)
    throw new LoupeError(
      'INVALID_REQUEST',
      task === 'detection'
        ? 'A detector is explained box by box, each for its own class; leave the class out.'
        : 'A verification model has no classes to explain; leave the class out.',
    );
  return method;
}

const frameMap = (side: PairSide) => ({
  heatmap: side.heatmap.values,
  rows: side.heatmap.rows,
  columns: side.heatmap.columns,
  heatmapPeak: side.peak,
});

async function explainBoxes(predictor: Predictor, request: Request, context: MethodContext<'explain'>) {
  const method = boxPairMethod(request, 'detection');
  if (request.pairs) throw new LoupeError('INVALID_REQUEST', 'Pairs are for verification models, not detectors.');
  const boxes: NonNullable<ExplainReply['boxes']> = [];
  let targetLayer: string | undefined;
  for (const frame of request.frames) {
    throwIfCancelled(context.signal);
    const explained = await explainDetection(predictor.model, predictor.card, frame, {
      method,
      maxBoxes: request.maxBoxes,
      betweenPasses: async () => {
        throwIfCancelled(context.signal);
        await yieldToMessages();
      },
      ...(request.detection ? { detection: request.detection } : {}),
      ...(request.targetLayer !== undefined ? { targetLayer: request.targetLayer } : {}),
    });
    targetLayer = explained.targetLayer;
    boxes.push({
      boxesLeftOut: explained.boxesLeftOut,
      boxes: explained.boxes.map((b) => ({
        box: [...b.box] as [number, number, number, number],
        score: b.score,
        classIndex: b.classIndex,
        peak: b.peak,
        heatmap: b.heatmap.values,
        rows: b.heatmap.rows,
        columns: b.heatmap.columns,
        heatmapPeak: b.heatmapPeak,
      })),
    });
  }
  return { boxes, ...(targetLayer ? { targetLayer } : {}) };
}

async function explainPairs(predictor: Predictor, request: Request, context: MethodContext<'explain'>) {
  const method = boxPairMethod(request, 'verification');
  if (!request.pairs)
    throw new LoupeError(
      'INVALID_REQUEST',
      'A verification model explains pairs of images: give the pairs of frames to compare.',
    );
  const pairs: NonNullable<ExplainReply['pairs']> = [];
  let targetLayer: string | undefined;
  for (const { a, b } of request.pairs) {
    throwIfCancelled(context.signal);
    const explained = await explainVerification(
      predictor.model,
      predictor.card,
      request.frames[a]!,
      request.frames[b]!,
      {
        method,
        ...(request.targetLayer !== undefined ? { targetLayer: request.targetLayer } : {}),
      },
    );
    targetLayer = explained.targetLayer;
    pairs.push({ a, b, similarity: explained.similarity, mapA: frameMap(explained.a), mapB: frameMap(explained.b) });
    await yieldToMessages();
  }
  const threshold = predictor.card.verification?.threshold;
  return { pairs, ...(targetLayer ? { targetLayer } : {}), ...(threshold !== undefined ? { threshold } : {}) };
}

export async function explain(request: Request, context: MethodContext<'explain'>): Promise<ExplainReply> {
  const predictor = await predictorFor(request.modelDir);
  const task = predictor.card.task;
  const method = request.method ?? defaultExplainMethod(task);
  const common = { classes: predictor.card.classes, method, layers: featureMapLayers(predictor.model) };
  if (task === 'detection')
    return { ...common, explanations: [], ...(await explainBoxes(predictor, request, context)) };
  if (task === 'verification')
    return { ...common, explanations: [], ...(await explainPairs(predictor, request, context)) };
  if (request.pairs || request.detection)
    throw new LoupeError('INVALID_REQUEST', `Pairs and detection settings are not for a ${task} model.`);
  const explanations: ExplainReply['explanations'] = [];
  for (const frame of request.frames) {
    throwIfCancelled(context.signal);
    const options: ExplainOptions = {
      method,
      trust: request.trust,
      betweenPasses: async () => {
        throwIfCancelled(context.signal);
        await yieldToMessages();
      },
      ...(request.classIndex !== undefined ? { classIndex: request.classIndex } : {}),
      ...(request.targetLayer !== undefined ? { targetLayer: request.targetLayer } : {}),
    };
    const result =
      task === 'segmentation'
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
  return { ...common, explanations };
}
