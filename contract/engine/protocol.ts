/**
 * What main and the engine worker (ml/) say to each other: numbered calls, progress, cancel,
 * results. Methods are declared like channels so both sides validate the same schemas.
 */
import { z } from 'zod';
import {
  benchmarkReplySchema,
  benchmarkRequestSchema,
  BACKEND_NAMES,
  engineInfoSchema,
  progressSchema,
} from '../channels/engine';
import { defineChannel, registry } from '../define';
import { runRecordSchema } from '../training/run-record';
import {
  evaluateReplySchema,
  evaluateRequestSchema,
  predictReplySchema,
  predictRequestSchema,
  loadPredictorRequestSchema,
  loadPredictorReplySchema,
  trainingProgressSchema,
  trainRequestSchema,
} from './training-methods';
import {
  galleryEnrolRequestSchema,
  galleryListingSchema,
  galleryListRequestSchema,
  galleryQueryReplySchema,
  galleryQueryRequestSchema,
  galleryRemoveRequestSchema,
} from '../training/verification';
import { exportReplySchema, exportRequestSchema } from '../channels/export';
import { compareExportsReplySchema, compareExportsRequestSchema } from '../channels/export-compare';
import { explainReplySchema, explainRequestSchema } from './explain';
import { featureMapsReplySchema, featureMapsRequestSchema } from './feature-maps';
import { errorPayloadSchema } from '../errors';

export const initMethod = defineChannel({
  name: 'init',
  summary: 'Load the fastest backend that works (or the forced one) and report it.',
  request: z.object({ backend: z.enum(BACKEND_NAMES).nullable().default(null) }).strict(),
  reply: engineInfoSchema,
});

export const benchmarkMethod = defineChannel({
  name: 'benchmark',
  summary: 'Time matrix products on the active backend.',
  request: benchmarkRequestSchema,
  reply: benchmarkReplySchema,
  progress: progressSchema,
});

export const trainMethod = defineChannel({
  name: 'train',
  summary: 'Train (or resume) a run in a run folder; streams batch and epoch progress; cancel stops within one batch.',
  request: trainRequestSchema,
  reply: runRecordSchema,
  progress: trainingProgressSchema,
});

export const evaluateMethod = defineChannel({
  name: 'evaluate',
  summary: 'Score a saved model on one split of a dataset: metrics and per-image predictions.',
  request: evaluateRequestSchema,
  reply: evaluateReplySchema,
  progress: progressSchema,
});

export const predictMethod = defineChannel({
  name: 'predict',
  summary: 'Run a saved model on decoded frames: class probabilities or masks at each frame size.',
  request: predictRequestSchema,
  reply: predictReplySchema,
});

export const loadPredictorMethod = defineChannel({
  name: 'loadPredictor',
  summary:
    'Load a saved model (or exported bundle) for prediction, with its ONNX Runtime check, so that the first predict call on it starts at once.',
  request: loadPredictorRequestSchema,
  reply: loadPredictorReplySchema,
});

export const explainMethod = defineChannel({
  name: 'explain',
  summary:
    "Explain a saved classifier's prediction on decoded frames: a Grad-CAM, Grad-CAM++ or CAM heatmap on each frame's pixels, with deletion/insertion AUC and a randomisation sanity check.",
  request: explainRequestSchema,
  reply: explainReplySchema,
});

export const featureMapsMethod = defineChannel({
  name: 'featureMaps',
  summary:
    "One layer's activations of a saved model on a decoded frame (the first channels, with the layer's count) and the first convolution's filters.",
  request: featureMapsRequestSchema,
  reply: featureMapsReplySchema,
});

export const galleryEnrolMethod = defineChannel({
  name: 'galleryEnrol',
  summary:
    "Embed reference images with a verification model and store them in its folder's gallery (an id enrolled again is replaced).",
  request: galleryEnrolRequestSchema,
  reply: galleryListingSchema,
});

export const galleryListMethod = defineChannel({
  name: 'galleryList',
  summary: "The references in a verification model's gallery, without their embeddings.",
  request: galleryListRequestSchema,
  reply: galleryListingSchema,
});

export const galleryRemoveMethod = defineChannel({
  name: 'galleryRemove',
  summary: "Remove references from a verification model's gallery.",
  request: galleryRemoveRequestSchema,
  reply: galleryListingSchema,
});

export const galleryQueryMethod = defineChannel({
  name: 'galleryQuery',
  summary: 'The nearest gallery references to each frame, with similarity, distance and the same/different decision.',
  request: galleryQueryRequestSchema,
  reply: galleryQueryReplySchema,
});

export const exportMethod = defineChannel({
  name: 'export',
  summary:
    'Write a model folder as an ONNX bundle (model, card, runners) and check it with ONNX Runtime against the Predictor on the given images.',
  request: exportRequestSchema,
  reply: exportReplySchema,
  progress: progressSchema,
});

export const compareExportsMethod = defineChannel({
  name: 'compareExports',
  summary:
    "Score exported ONNX files with ONNX Runtime on the given images with the task's metric, and time them on this machine.",
  request: compareExportsRequestSchema,
  reply: compareExportsReplySchema,
  progress: progressSchema,
});

export const engineMethods = registry([
  initMethod,
  benchmarkMethod,
  trainMethod,
  evaluateMethod,
  predictMethod,
  loadPredictorMethod,
  explainMethod,
  featureMapsMethod,
  galleryEnrolMethod,
  galleryListMethod,
  galleryRemoveMethod,
  galleryQueryMethod,
  exportMethod,
  compareExportsMethod,
]);

export type EngineMethods = typeof engineMethods;
export type EngineMethodName = keyof EngineMethods;
export type EngineRequestOf<M extends EngineMethodName> = z.input<EngineMethods[M]['request']>;
export type EngineParsedRequestOf<M extends EngineMethodName> = z.output<EngineMethods[M]['request']>;
export type EngineReplyOf<M extends EngineMethodName> = z.output<EngineMethods[M]['reply']>;
export type EngineProgressOf<M extends EngineMethodName> = EngineMethods[M]['progress'] extends z.ZodType
  ? z.output<EngineMethods[M]['progress']>
  : never;

export function isEngineMethod(name: unknown): name is EngineMethodName {
  return typeof name === 'string' && Object.hasOwn(engineMethods, name);
}

const callId = z.number().int().nonnegative();

export const toEngineSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('call'), id: callId, method: z.string(), payload: z.unknown() }),
  z.object({ type: z.literal('cancel'), id: callId }),
]);
export type ToEngine = z.infer<typeof toEngineSchema>;

export const fromEngineSchema = z.union([
  z.object({ type: z.literal('result'), id: callId, ok: z.literal(true), value: z.unknown() }),
  z.object({ type: z.literal('result'), id: callId, ok: z.literal(false), error: errorPayloadSchema }),
  z.object({ type: z.literal('progress'), id: callId, data: z.unknown() }),
]);
export type FromEngine =
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: z.infer<typeof errorPayloadSchema> }
  | { type: 'progress'; id: number; data: unknown };
