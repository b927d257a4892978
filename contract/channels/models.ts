/**
 * Using a finished run's model on the workspace's own images: detection boxes proposed as drafts
 * in the labeling view, two images compared by a verification model, and the verification
 * gallery (reference images enrolled with the model, queried with another image).
 *
 * Images are named by workspace image id; the services decode them with the viewer's decoders and
 * the engine runs the model with the preprocessing saved in its card. Gallery references enrolled
 * from the workspace are named `image-<id>` (GALLERY_IMAGE_PREFIX), so a listing can show them.
 */
import { z } from 'zod';
import { defineChannel } from '../define';
import { runIdSchema } from './runs';
import {
  galleryEntrySchema,
  galleryMatchSchema,
  MAX_ENROL_FRAMES,
  MAX_GALLERY_MATCHES,
} from '../training/verification';

const imageIdSchema = z.number().int().positive();
const score = z.number().min(-1.0001).max(1.0001);

/** Gallery references enrolled from workspace images are named by this prefix and the image id. */
export const GALLERY_IMAGE_PREFIX = 'image-';

/** The workspace image a gallery reference was enrolled from, or null for a reference named otherwise. */
export function galleryImageId(referenceId: string): number | null {
  const match = /^image-(\d+)$/.exec(referenceId);
  return match ? Number(match[1]) : null;
}

/** A proposed box in source pixels of the image, with the task's class and the detector's score. */
export const proposedBoxSchema = z.object({
  classId: z.number().int().positive(),
  x1: z.number(),
  y1: z.number(),
  x2: z.number(),
  y2: z.number(),
  score: z.number().min(0).max(1),
});
export type ProposedBox = z.infer<typeof proposedBoxSchema>;

export const modelsProposeBoxes = defineChannel({
  name: 'models.proposeBoxes',
  summary:
    "A detection run's boxes on one image (after its threshold and NMS), in the image's pixels, as the task's classes.",
  request: z
    .object({
      runId: runIdSchema,
      /** The detection task the boxes are for: model classes are matched to its classes by name. */
      taskId: z.number().int().positive(),
      imageId: imageIdSchema,
      /** A score threshold for this call instead of the model card's. */
      scoreThreshold: z.number().min(0).max(1).optional(),
    })
    .strict(),
  reply: z.object({
    imageId: z.number().int(),
    boxes: z.array(proposedBoxSchema),
    /** The score threshold applied. */
    scoreThreshold: z.number(),
    /** Model classes the task has no class of that name for; their boxes were left out. */
    unmatchedClasses: z.array(z.object({ className: z.string(), boxes: z.number().int().min(1) })),
  }),
});

export const pairComparisonSchema = z.object({
  imageA: z.number().int(),
  imageB: z.number().int(),
  /** Cosine similarity of the two embeddings (−1…1, higher = more alike). */
  score,
  /** Euclidean distance between the unit embeddings, √(2 − 2·score). */
  distance: z.number().min(0).max(2.0001),
  /** The decision: score ≥ threshold. */
  same: z.boolean(),
  threshold: z.number(),
  /** The FAR the model's threshold was chosen for on validation. */
  targetFar: z.number().min(0).max(1),
});
export type PairComparison = z.infer<typeof pairComparisonSchema>;

export const modelsComparePair = defineChannel({
  name: 'models.comparePair',
  summary: 'Two workspace images compared by a verification run: similarity, distance and the same/different decision.',
  request: z
    .object({
      runId: runIdSchema,
      imageA: imageIdSchema,
      imageB: imageIdSchema,
      /** A decision threshold for this call instead of the model card's. */
      threshold: z.number().min(-1).max(1).optional(),
    })
    .strict(),
  reply: pairComparisonSchema,
});

export const galleryViewSchema = z.object({
  runId: z.string(),
  threshold: z.number(),
  references: z.array(galleryEntrySchema.extend({ imageId: z.number().int().nullable() })),
});
export type GalleryView = z.infer<typeof galleryViewSchema>;

const runRef = z.object({ runId: runIdSchema }).strict();

export const modelsGallery = defineChannel({
  name: 'models.gallery',
  summary: "The references enrolled in a verification run's gallery.",
  request: runRef,
  reply: galleryViewSchema,
});

export const modelsEnrol = defineChannel({
  name: 'models.enrol',
  summary:
    "Enrol workspace images as references in a verification run's gallery (an image enrolled again is replaced).",
  request: z
    .object({
      runId: runIdSchema,
      references: z
        .array(
          z
            .object({
              imageId: imageIdSchema,
              /** What it is ("part 7731, golden sample"); default its file name. */ label: z
                .string()
                .max(500)
                .optional(),
            })
            .strict(),
        )
        .min(1)
        .max(MAX_ENROL_FRAMES),
    })
    .strict(),
  reply: galleryViewSchema,
  progress: z.object({ done: z.number().int().min(0), total: z.number().int().min(0) }),
});

export const modelsRemoveReferences = defineChannel({
  name: 'models.removeReferences',
  summary: "Remove references from a verification run's gallery.",
  request: z.object({ runId: runIdSchema, ids: z.array(z.string().min(1)).min(1) }).strict(),
  reply: galleryViewSchema,
});

export const modelsQuery = defineChannel({
  name: 'models.query',
  summary: 'The gallery references nearest to a workspace image, best first, with scores and decisions.',
  request: z
    .object({
      runId: runIdSchema,
      imageId: imageIdSchema,
      /** Matches returned. */
      k: z.number().int().min(1).max(MAX_GALLERY_MATCHES).default(5),
    })
    .strict(),
  reply: z.object({
    imageId: z.number().int(),
    threshold: z.number(),
    matches: z.array(galleryMatchSchema.extend({ imageId: z.number().int().nullable() })),
  }),
});
