import type { EngineMethodHandlers } from '../worker/runtime';
import { initBackend, parseBackendName, BACKEND_ENV } from '../backends/select';
import { benchmark } from './benchmark';
import { explain } from './explain';
import { featureMaps } from './feature-maps';
import { galleryEnrol, galleryList, galleryQuery, galleryRemove } from './gallery';
import { evaluate, loadPredictor, predict, train } from './training';
import { exportedGallery } from '../export/bundle-gallery';
import { readModelCard } from '../../base/model-folder-files';

/** Every engine method, by name. The compiler refuses a protocol method without a handler. */
export const engineHandlers: EngineMethodHandlers = {
  init: async (request) => initBackend(request.backend ?? parseBackendName(process.env[BACKEND_ENV])),
  benchmark,
  train,
  evaluate,
  predict,
  loadPredictor,
  explain,
  featureMaps,
  galleryEnrol,
  galleryList,
  galleryRemove,
  galleryQuery,
  // Loaded on first use: onnxruntime-node's binding is not context-aware, so it can load in only
  // one thread of a process; an engine worker that never exports must not take it (a worker
  // restarted after a crash could otherwise not start at all).
  // A TF.js export is checked by stock tfjs and never needs onnxruntime-node.
  // A TFLite export is checked by Arm NN in a Python process of its own.
  // A gallery to carry is read (and a model without one refused) before any image is decoded.
  export: async (request, context) => {
    const extra = request.gallery ? await exportedGallery(request.modelDir, await readModelCard(request.modelDir)) : {};
    return request.format === 'tfjs'
      ? (await import('./export-tfjs')).exportTfjs(request, context, extra)
      : request.format.startsWith('tflite')
        ? (await import('./export-tflite')).exportTfliteBundle(request, context, extra)
        : (await import('./export')).exportModel(request, context, extra);
  },
  compareExports: async (request, context) => (await import('./compare-exports')).compareExports(request, context),
};
