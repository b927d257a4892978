/**
 * The engine's gallery methods for verification models: enrol reference images (their
 * embeddings are stored in the model folder's gallery.json), list and remove references, and
 * query: the nearest references to each frame, with scores and the same/different decision at
 * the model card's threshold.
 */
import type { EngineParsedRequestOf, EngineReplyOf } from '../../contract/engine/protocol';
import {
  LoupeError,
  type GalleryListing,
  type ModelCard,
  type RuntimeChoice,
  type SamplePrediction,
} from '../../contract/index';
import { readExportBundle } from '../../base/export-bundle';
import type { MethodContext } from '../worker/runtime';
import { readModelCard } from '../../base/model-folder-files';
import { readGallery, updateGallery } from '../siamese/gallery-file';
import { nearestReferences } from '../siamese/gallery';
import { Predictor } from '../train/predictor';
import { decisionOf, distanceOf, predictingPredictor, predictorOf } from './training';

/** The card of a verification model, its threshold and embedding length; listing and removing need no weights. */
function verificationCard(
  card: ModelCard,
  modelDir: string,
): { card: ModelCard; threshold: number; embeddingDim: number } {
  if (card.task !== 'verification')
    throw new LoupeError(
      'INVALID_REQUEST',
      `A gallery needs a verification model; the model in ${modelDir} does ${card.task}.`,
    );
  const decision = decisionOf(card, modelDir);
  return { card, threshold: decision.threshold, embeddingDim: decision.embeddingDim };
}

async function verificationModel(
  modelDir: string,
): Promise<{ predictor: Predictor; threshold: number; embeddingDim: number }> {
  if (await readExportBundle(modelDir)) throw bundleRefusal(modelDir);
  const predictor = await predictingPredictor(modelDir);
  return { predictor, ...verificationCard(predictor.card, modelDir) };
}

/** An exported bundle's gallery is the one exported with it: it is read and matched against, never changed. */
function bundleRefusal(modelDir: string): LoupeError {
  return new LoupeError(
    'INVALID_REQUEST',
    `${modelDir} is an exported bundle; its gallery is the one exported with it. Enrol in the Loupe model folder it came from and export again with --gallery.`,
  );
}

/** The card of a model folder or of an exported bundle (whose gallery, if any, was exported with it). */
async function cardOf(modelDir: string): Promise<{ card: ModelCard; exported: boolean }> {
  const bundle = await readExportBundle(modelDir);
  return bundle ? { card: bundle.card, exported: true } : { card: await readModelCard(modelDir), exported: false };
}

function embeddingsFrom(predictions: readonly SamplePrediction[]): Float32Array[] {
  return predictions.map((p) => {
    if (!('embedding' in p)) throw new Error('A verification model gave no embedding.');
    return p.embedding;
  });
}

async function embeddingsOf(
  predictor: Predictor,
  frames: Parameters<Predictor['predict']>[0],
  signal: AbortSignal,
  runtime: RuntimeChoice = 'auto',
): Promise<Float32Array[]> {
  return embeddingsFrom(await predictor.predict(frames, signal, undefined, { runtime }));
}

function listing(modelDir: string, threshold: number, references: GalleryListing['references']): GalleryListing {
  return {
    modelDir,
    threshold,
    references: references.map(({ id, label, enrolledAt }) => ({ id, label, enrolledAt })),
  };
}

export async function galleryEnrol(
  request: EngineParsedRequestOf<'galleryEnrol'>,
  context: MethodContext<'galleryEnrol'>,
): Promise<EngineReplyOf<'galleryEnrol'>> {
  const { predictor, threshold, embeddingDim } = await verificationModel(request.modelDir);
  const ids = request.references.map((r) => r.id);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated) throw new LoupeError('INVALID_REQUEST', `Reference "${repeated}" appears twice in one enrolment.`);
  const embeddings = await embeddingsOf(
    predictor,
    request.references.map((r) => r.frame),
    context.signal,
  );
  const enrolledAt = new Date().toISOString();
  return updateGallery(request.modelDir, predictor.card, embeddingDim, (gallery) => {
    const fresh = new Set(ids);
    gallery.references = [
      ...gallery.references.filter((r) => !fresh.has(r.id)),
      ...request.references.map((r, i) => ({
        id: r.id,
        label: r.label,
        enrolledAt,
        embedding: Array.from(embeddings[i]!),
      })),
    ];
    return listing(request.modelDir, threshold, gallery.references);
  });
}

export async function galleryList(
  request: EngineParsedRequestOf<'galleryList'>,
): Promise<EngineReplyOf<'galleryList'>> {
  const { card: read, exported } = await cardOf(request.modelDir);
  const { card, threshold, embeddingDim } = verificationCard(read, request.modelDir);
  const gallery = await readGallery(request.modelDir, card, embeddingDim, exported);
  return { ...listing(request.modelDir, threshold, gallery.references), ...(exported ? { exported: true } : {}) };
}

export async function galleryRemove(
  request: EngineParsedRequestOf<'galleryRemove'>,
): Promise<EngineReplyOf<'galleryRemove'>> {
  const { card: read, exported } = await cardOf(request.modelDir);
  if (exported) throw bundleRefusal(request.modelDir);
  const { card, threshold, embeddingDim } = verificationCard(read, request.modelDir);
  return updateGallery(request.modelDir, card, embeddingDim, (gallery) => {
    const unknown = request.ids.filter((id) => !gallery.references.some((r) => r.id === id));
    if (unknown.length)
      throw new LoupeError('NOT_FOUND', `The gallery has no reference ${unknown.map((id) => `"${id}"`).join(', ')}.`);
    const removed = new Set(request.ids);
    gallery.references = gallery.references.filter((r) => !removed.has(r.id));
    return listing(request.modelDir, threshold, gallery.references);
  });
}

export async function galleryQuery(
  request: EngineParsedRequestOf<'galleryQuery'>,
  context: MethodContext<'galleryQuery'>,
): Promise<EngineReplyOf<'galleryQuery'>> {
  // A bundle's ONNX model embeds the frames, and its gallery is the one exported with it.
  const predictor = await predictorOf(request.modelDir);
  const exported = !(predictor instanceof Predictor);
  const { threshold: cardThreshold, embeddingDim } = verificationCard(predictor.card, request.modelDir);
  const threshold = request.threshold ?? cardThreshold;
  const gallery = await readGallery(request.modelDir, predictor.card, embeddingDim, exported);
  const references = gallery.references.map((r) => ({
    id: r.id,
    label: r.label,
    embedding: Float32Array.from(r.embedding),
  }));
  const embeddings =
    predictor instanceof Predictor
      ? await embeddingsOf(predictor, request.frames, context.signal, request.runtime)
      : embeddingsFrom(await predictor.predict(request.frames, context.signal));
  return {
    threshold,
    runtime: predictor instanceof Predictor ? predictor.runtimeFor({ runtime: request.runtime }) : 'onnxruntime',
    results: embeddings.map((embedding) => ({
      matches: nearestReferences(embedding, references, request.k, threshold).map((m) => ({
        ...m,
        distance: distanceOf(m.score),
      })),
    })),
  };
}
