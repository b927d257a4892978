/**
 * A verification model's gallery carried in an export bundle (`loupe export --gallery`): the
 * references enrolled in the model folder, as gallery.json beside the model, so that the bundle
 * alone matches images against them (`loupe predict --model BUNDLE --gallery`, or an edge device's
 * own code reading the file). Each reference keeps its label and embedding; its id, the path it was
 * enrolled from, is replaced by a hash of it, since a path can name a patient or a site.
 */
import { createHash } from 'node:crypto';
import { LoupeError, galleryFileSchema, type ModelCard } from '../../contract/index';
import { GALLERY_FILE, readGallery } from '../siamese/gallery-file';

/** A reference's id in a bundle: stable for the same id, and naming no path. */
export function exportedReferenceId(id: string): string {
  return `ref-${createHash('sha256').update(id).digest('hex').slice(0, 16)}`;
}

/** The bundle's gallery.json, or a refusal when the model is not a verifier or has nothing enrolled. */
export async function exportedGallery(modelDir: string, card: ModelCard): Promise<Record<string, string>> {
  if (card.task !== 'verification' || !card.verification)
    throw new LoupeError(
      'INVALID_REQUEST',
      `--gallery carries a verification model's gallery; the model in ${modelDir} does ${card.task}.`,
    );
  const gallery = await readGallery(modelDir, card, card.verification.embeddingDim);
  if (gallery.references.length === 0)
    throw new LoupeError(
      'INVALID_REQUEST',
      `The model in ${modelDir} has no enrolled references to carry (--gallery); enrol some first (Train section, Gallery, or \`loupe gallery enrol\`).`,
    );
  const carried = {
    ...gallery,
    references: gallery.references.map((r) => ({ ...r, id: exportedReferenceId(r.id) })),
  };
  return { [GALLERY_FILE]: JSON.stringify(galleryFileSchema.parse(carried)) };
}
