/**
 * Verification's own shapes: a scored pair with its decision, the decision threshold a model card
 * carries, and the gallery (enrolled reference images a query is compared with).
 *
 * Conventions: a pair's score is the cosine similarity of the two unit-length embeddings (−1…1,
 * higher = more alike); its distance the Euclidean distance between them, √(2 − 2·score) (0…2);
 * the decision is "same" when score ≥ threshold.
 */
import { z } from 'zod';
import { absolutePathSchema } from '../common';
import { PREDICT_RUNTIMES, RUNTIME_CHOICES } from '../tasks';
import { decodedFrameSchema } from './dataset';

const score = z.number().min(-1.0001).max(1.0001);
const distance = z.number().min(0).max(2.0001);

/** Two frames of one predict call, by index. */
export const framePairSchema = z.object({ a: z.number().int().min(0), b: z.number().int().min(0) }).strict();

export const framePairResultSchema = z.object({
  a: z.number().int(),
  b: z.number().int(),
  score,
  distance,
  same: z.boolean(),
});
export type FramePairResult = z.infer<typeof framePairResultSchema>;

/** A pair of dataset images scored by evaluate: the model's decision beside the truth. */
export const pairResultSchema = z.object({
  a: z.string(),
  b: z.string(),
  score,
  distance,
  /** The decision: score ≥ threshold. */
  same: z.boolean(),
  /** The label: same identity, or the user's verdict on a labelled pair. */
  truth: z.boolean(),
});
export type PairResult = z.infer<typeof pairResultSchema>;

/** The decision threshold saved in a verification model's card. */
export const verificationDecisionSchema = z.object({
  similarity: z.literal('cosine'),
  embeddingDim: z.number().int().min(2),
  /** Decide "same" when score ≥ threshold. */
  threshold: z.number(),
  /** The FAR the user asked for; the threshold has the highest TAR at FAR ≤ it. */
  targetFar: z.number().min(0).max(1),
  /**
   * `validation`; `train` only when the run had no validation split with both kinds of pairs
   * (then FAR on unseen images will be higher than measured).
   */
  chosenOn: z.enum(['val', 'train']),
  /** FAR and TAR of the threshold on the pairs it was chosen on. */
  far: z.number().min(0).max(1),
  tar: z.number().min(0).max(1),
  genuinePairs: z.number().int().min(0),
  impostorPairs: z.number().int().min(0),
});
export type VerificationDecision = z.infer<typeof verificationDecisionSchema>;

/** Most references one enrol call may send (each carries its frame). */
export const MAX_ENROL_FRAMES = 256;

export const galleryReferenceSchema = z.object({
  /** The reference's id (an image id, a serial number); enrolling an id again replaces it. */
  id: z.string().min(1).max(200),
  /** What it is, in the user's words ("part 7731, golden sample"). */
  label: z.string().max(500).default(''),
});

export const galleryEnrolRequestSchema = z
  .object({
    modelDir: absolutePathSchema,
    references: z
      .array(galleryReferenceSchema.extend({ frame: decodedFrameSchema }).strict())
      .min(1)
      .max(MAX_ENROL_FRAMES),
  })
  .strict();

export const galleryEntrySchema = galleryReferenceSchema.extend({ enrolledAt: z.string() });
export type GalleryEntry = z.output<typeof galleryEntrySchema>;

/** What a gallery holds, without the embeddings. */
export const galleryListingSchema = z.object({
  modelDir: z.string(),
  threshold: z.number(),
  references: z.array(galleryEntrySchema),
  /** The gallery an exported bundle carries: read and matched against, never enrolled into. */
  exported: z.literal(true).optional(),
});
export type GalleryListing = z.infer<typeof galleryListingSchema>;

export const galleryListRequestSchema = z.object({ modelDir: absolutePathSchema }).strict();

export const galleryRemoveRequestSchema = z
  .object({ modelDir: absolutePathSchema, ids: z.array(z.string().min(1)).min(1) })
  .strict();

/** Most matches a query may ask for. */
export const MAX_GALLERY_MATCHES = 100;
/** Matches a query keeps when it does not say (a batch's --top-k, the Batch section's "nearest"). */
export const DEFAULT_GALLERY_MATCHES = 5;

export const galleryQueryRequestSchema = z
  .object({
    modelDir: absolutePathSchema,
    frames: z.array(decodedFrameSchema).min(1).max(MAX_ENROL_FRAMES),
    /** Nearest references returned per query, best first. */
    k: z.number().int().min(1).max(MAX_GALLERY_MATCHES).default(DEFAULT_GALLERY_MATCHES),
    /** A decision threshold to use instead of the card's. */
    threshold: z.number().min(-1).max(1).optional(),
    /** What embeds the query frames: the fastest runtime that agrees with the engine, or the engine. */
    runtime: z.enum(RUNTIME_CHOICES).default('auto'),
  })
  .strict();

export const galleryMatchSchema = z.object({ id: z.string(), label: z.string(), score, distance, same: z.boolean() });
export type GalleryMatch = z.infer<typeof galleryMatchSchema>;

export const galleryQueryReplySchema = z.object({
  threshold: z.number(),
  /** Per query frame, its nearest references, best first (empty for an empty gallery). */
  results: z.array(z.object({ matches: z.array(galleryMatchSchema) })),
  /** What embedded the query frames. */
  runtime: z.enum(PREDICT_RUNTIMES).optional(),
});
export type GalleryQueryReply = z.infer<typeof galleryQueryReplySchema>;

/**
 * The gallery file (gallery.json in the model folder, written atomically). It names the model
 * card it was made with: embeddings from other weights are not comparable, so a gallery whose
 * model changed is refused rather than silently mixed.
 */
export const galleryFileSchema = z.object({
  format: z.literal('loupe-gallery'),
  version: z.literal(1),
  /** The model card's run id and creation time when the embeddings were made. */
  model: z.object({ runId: z.string(), createdAt: z.string() }),
  embeddingDim: z.number().int().min(2),
  references: z.array(galleryEntrySchema.extend({ embedding: z.array(z.number()) })),
});
export type GalleryFile = z.infer<typeof galleryFileSchema>;
