/**
 * Where Siamese training pairs come from: the workspace's labelled pairs ("these two are the same
 * part / not the same"), or class labels (any two images of one class are a same pair), mined
 * from each batch. Batches for online mining hold P identities × K images each, so every anchor
 * has positives and negatives in its batch.
 */
import { LoupeError } from '../../contract/errors';

export interface ImagePair {
  /** Indices into the image list the pairs were made from. */
  a: number;
  b: number;
  same: boolean;
}

/** A labelled pair as the workspace stores it: two image ids and the user's verdict. */
export interface LabelledPair {
  imageA: string;
  imageB: string;
  same: boolean;
}

/** Maps labelled pairs onto indices of `imageIds`; a pair naming an unknown image throws. */
export function pairsFromLabelledPairs(pairs: readonly LabelledPair[], imageIds: readonly string[]): ImagePair[] {
  const index = new Map(imageIds.map((id, i) => [id, i]));
  return pairs.map((p, k) => {
    const a = index.get(p.imageA);
    const b = index.get(p.imageB);
    if (a === undefined || b === undefined)
      throw new LoupeError(
        'INVALID_REQUEST',
        `Pair ${k + 1} names image ${a === undefined ? p.imageA : p.imageB}, which is not in this set.`,
      );
    if (a === b) throw new LoupeError('INVALID_REQUEST', `Pair ${k + 1} pairs image ${p.imageA} with itself.`);
    return { a, b, same: p.same };
  });
}

/** Every pair of images (i < j), labelled same when their classes match. */
export function allPairsFromLabels(labels: ArrayLike<number>): ImagePair[] {
  const out: ImagePair[] = [];
  for (let i = 0; i < labels.length; i++)
    for (let j = i + 1; j < labels.length; j++) out.push({ a: i, b: j, same: labels[i] === labels[j] });
  return out;
}

export interface BalancedPairsArgs {
  /** Pairs wanted (at most). */
  count: number;
  /** Share of same pairs. Default 0.5. */
  sameFraction?: number;
  /** Uniform random source in [0, 1) (seeded, for reproducible runs). */
  random: () => number;
}

/**
 * Pairs sampled from class labels with the requested share of same pairs (class labels give far
 * more different pairs than same ones). Without replacement where possible.
 */
export function balancedPairsFromLabels(labels: ArrayLike<number>, args: BalancedPairsArgs): ImagePair[] {
  const all = allPairsFromLabels(labels);
  const same = all.filter((p) => p.same);
  const different = all.filter((p) => !p.same);
  const shuffle = <T>(xs: T[]) => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(args.random() * (i + 1));
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  };
  const wantSame = Math.min(same.length, Math.round(args.count * (args.sameFraction ?? 0.5)));
  const wantDifferent = Math.min(different.length, args.count - wantSame);
  return shuffle([...shuffle(same).slice(0, wantSame), ...shuffle(different).slice(0, wantDifferent)]);
}

export interface IdentityBatchArgs {
  /** Identities (classes) per batch, P. */
  identitiesPerBatch: number;
  /** Images per identity, K (drawn with replacement when an identity has fewer). */
  imagesPerIdentity: number;
  random: () => number;
}

/** One P × K batch of image indices, for batch-hard mining; identities with one image are skipped. */
export function identityBatch(labels: ArrayLike<number>, args: IdentityBatchArgs): number[] {
  const byIdentity = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = byIdentity.get(labels[i]!) ?? [];
    list.push(i);
    byIdentity.set(labels[i]!, list);
  }
  const usable = [...byIdentity.values()].filter((l) => l.length >= 2);
  if (usable.length < 2)
    throw new LoupeError(
      'INVALID_REQUEST',
      'Verification training needs at least two identities with two or more images each.',
    );
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(args.random() * xs.length)]!;
  const chosen = new Set<number[]>();
  while (chosen.size < Math.min(args.identitiesPerBatch, usable.length)) chosen.add(pick(usable));
  const out: number[] = [];
  for (const images of chosen) {
    const pool = [...images];
    for (let k = 0; k < args.imagesPerIdentity; k++) {
      if (pool.length === 0) out.push(pick(images));
      else out.push(pool.splice(Math.floor(args.random() * pool.length), 1)[0]!);
    }
  }
  return out;
}
