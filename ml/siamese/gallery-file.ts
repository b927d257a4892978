/**
 * A verification model's gallery on disk: gallery.json in the model folder, written atomically
 * (a crash leaves the old gallery or the new one). The file names the model card it was made
 * with; a gallery whose model was retrained is refused, since its embeddings no longer compare.
 * Changes go through `updateGallery`, one at a time per folder, so two enrol calls in flight
 * cannot lose each other's references.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LoupeError, describeIssues, galleryFileSchema, type GalleryFile, type ModelCard } from '../../contract/index';
import { writeFileAtomic } from '../../base/atomic-write';

export const GALLERY_FILE = 'gallery.json';

function identityOf(card: ModelCard): GalleryFile['model'] {
  return { runId: card.run.runId, createdAt: card.createdAt };
}

/**
 * The folder's gallery; an empty one for this model when there is none yet. In an exported bundle
 * (`exported`) the gallery was written with the model in one step and is never enrolled into, and
 * the bundle's card has no creation time of its own, so there only the run and the embedding length
 * must match.
 */
export async function readGallery(
  modelDir: string,
  card: ModelCard,
  embeddingDim: number,
  exported = false,
): Promise<GalleryFile> {
  const file = path.join(modelDir, GALLERY_FILE);
  let raw: string;
  try {
    raw = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { format: 'loupe-gallery', version: 1, model: identityOf(card), embeddingDim, references: [] };
    throw new LoupeError('IO_ERROR', `Could not read ${file}: ${(error as Error).message}`);
  }
  let parsed: ReturnType<typeof galleryFileSchema.safeParse>;
  try {
    parsed = galleryFileSchema.safeParse(JSON.parse(raw));
  } catch {
    throw new LoupeError('INVALID_REQUEST', `${file} is not valid JSON; move it away to start a new gallery.`);
  }
  if (!parsed.success)
    throw new LoupeError('INVALID_REQUEST', `${file} is not a Loupe gallery: ${describeIssues(parsed.error.issues)}`);
  const gallery = parsed.data;
  const model = identityOf(card);
  if (
    gallery.model.runId !== model.runId ||
    (!exported && gallery.model.createdAt !== model.createdAt) ||
    gallery.embeddingDim !== embeddingDim
  ) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `${file} was enrolled with another version of this model, so its embeddings no longer compare; ${exported ? 'export the model again with its gallery (--gallery)' : 'remove it and enrol the references again'}.`,
    );
  }
  return gallery;
}

const pending = new Map<string, Promise<unknown>>();

/** Reads, changes and atomically rewrites the gallery, after any change already in flight for that folder. */
export function updateGallery<T>(
  modelDir: string,
  card: ModelCard,
  embeddingDim: number,
  change: (gallery: GalleryFile) => T | Promise<T>,
): Promise<T> {
  const key = path.resolve(modelDir);
  const previous = pending.get(key) ?? Promise.resolve();
  const next = previous
    .catch(() => {})
    .then(async () => {
      const gallery = await readGallery(modelDir, card, embeddingDim);
      const result = await change(gallery);
      await writeFileAtomic(path.join(modelDir, GALLERY_FILE), JSON.stringify(galleryFileSchema.parse(gallery)));
      return result;
    });
  pending.set(key, next);
  void next
    .finally(() => {
      if (pending.get(key) === next) pending.delete(key);
    })
    .catch(() => {});
  return next;
}
