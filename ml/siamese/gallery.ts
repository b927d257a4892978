/**
 * A gallery of enrolled references (a golden part, a patient's earlier scan): a query embedding
 * returns the nearest references with their similarity and a same/different decision at the
 * model's threshold. Pure functions plus a small class; saving it is the workspace's business.
 * Scores are cosine similarities of L2-normalised embeddings; "same" means score ≥ threshold
 * (ml/metrics/verification.ts).
 */
import { LoupeError } from '../../contract/errors';

/** Cosine similarity; for unit vectors this is their dot product. 0 when either is all zeros. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new RangeError(
      `Embeddings of different lengths (${a.length} and ${b.length}) cannot be compared; were they made by the same model?`,
    );
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

export interface GalleryReference {
  /** The reference's id (e.g. an image id). */
  id: string;
  /** What it is, in the user's words ("part 7731, golden sample"). */
  label: string;
  embedding: Float32Array;
}

export interface GalleryMatch {
  id: string;
  label: string;
  score: number;
  /** score ≥ threshold. */
  same: boolean;
}

/** The k references most similar to the query, best first; ties keep enrolment order. */
export function nearestReferences(
  query: ArrayLike<number>,
  references: readonly GalleryReference[],
  k: number,
  threshold: number,
): GalleryMatch[] {
  return references
    .map((r) => ({ id: r.id, label: r.label, score: cosineSimilarity(query, r.embedding) }))
    .sort((x, y) => y.score - x.score)
    .slice(0, k)
    .map((m) => ({ ...m, same: m.score >= threshold }));
}

export interface GalleryQueryOptions {
  /** How many matches to return. Default 5. */
  k?: number;
}

export class Gallery {
  private readonly references = new Map<string, GalleryReference>();

  /**
   * @param threshold decision threshold, normally the model card's (chosen on validation at the
   *   user's target FAR). @param embeddingDim length every embedding must have.
   */
  constructor(
    readonly threshold: number,
    readonly embeddingDim: number,
  ) {
    if (!Number.isFinite(threshold))
      throw new RangeError(`A gallery needs a finite decision threshold; got ${threshold}.`);
  }

  get size(): number {
    return this.references.size;
  }

  /** Adds or replaces a reference. */
  enroll(id: string, label: string, embedding: ArrayLike<number>): void {
    if (embedding.length !== this.embeddingDim)
      throw new LoupeError(
        'INVALID_REQUEST',
        `Reference ${id} has an embedding of length ${embedding.length}; this gallery's model makes ${this.embeddingDim}.`,
      );
    this.references.set(id, { id, label, embedding: Float32Array.from(embedding) });
  }

  remove(id: string): boolean {
    return this.references.delete(id);
  }

  query(embedding: ArrayLike<number>, options: GalleryQueryOptions = {}): GalleryMatch[] {
    if (embedding.length !== this.embeddingDim)
      throw new LoupeError(
        'INVALID_REQUEST',
        `The query embedding has length ${embedding.length}; this gallery's model makes ${this.embeddingDim}.`,
      );
    return nearestReferences(embedding, [...this.references.values()], options.k ?? 5, this.threshold);
  }

  /** The best match and whether it is the same object; null for an empty gallery. */
  verify(embedding: ArrayLike<number>): GalleryMatch | null {
    return this.query(embedding, { k: 1 })[0] ?? null;
  }
}
