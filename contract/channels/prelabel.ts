/**
 * Model-assisted labelling: a completed run's predictions on workspace images as drafts (class
 * tags for classification, a mask for segmentation) that the Label section shows and a person
 * accepts, edits or discards — these channels never write labels — and "Label next", the task's
 * unlabeled images ordered by how unsure the model is of them.
 */
import { z } from 'zod';
import { defineChannel } from '../define';
import { maskLabelSchema } from './labels';
import { runIdSchema } from './runs';

const idSchema = z.number().int().positive();

/**
 * Labels accepted from a run's drafts are saved with a save id that starts with this and the run
 * id (label_revisions.save_id; the label tables have no origin column), as review corrections are
 * saved as `review-<verdict>`: the image's current labels name the run they came from.
 */
export const PRELABEL_ORIGIN_PREFIX = 'prelabel:';
export const prelabelOrigin = (runId: string): string => `${PRELABEL_ORIGIN_PREFIX}${runId}`;

/** The run an image's current labels were accepted from, read from its revision's save id; null otherwise. */
export function prelabelRunOf(saveId: string | null): string | null {
  if (!saveId?.startsWith(PRELABEL_ORIGIN_PREFIX)) return null;
  const rest = saveId.slice(PRELABEL_ORIGIN_PREFIX.length);
  const end = rest.indexOf('|');
  return end < 0 ? rest : rest.slice(0, end);
}
const probability = z.number().min(0).max(1);

/** Most images one proposeTags call predicts (a grid page many times over; the reply stays small). */
export const MAX_PRELABEL_IMAGES = 5000;
/** Most images "Label next" lists. */
export const MAX_LABEL_NEXT = 500;

const prelabelProgress = z.object({ done: z.number().int().min(0), total: z.number().int().min(0) });

export const classProbabilitySchema = z.object({ classId: idSchema, probability });

/** The model's tag for one image: its most probable class, and every class's probability, best first. */
export const proposedTagSchema = z.object({
  imageId: idSchema,
  classId: idSchema,
  probability,
  probabilities: z.array(classProbabilitySchema),
});
export type ProposedTag = z.infer<typeof proposedTagSchema>;

export const modelsProposeTags = defineChannel({
  name: 'models.proposeTags',
  summary:
    "A classification run's most probable class for each image, as the task's classes (drafts: nothing is saved).",
  request: z
    .object({
      runId: runIdSchema,
      /** The classification task the tags are for: every model class must have a class of that name in it. */
      taskId: idSchema,
      imageIds: z.array(idSchema).min(1).max(MAX_PRELABEL_IMAGES),
    })
    .strict(),
  reply: z.object({ tags: z.array(proposedTagSchema) }),
  progress: prelabelProgress,
});

export const modelsProposeMask = defineChannel({
  name: 'models.proposeMask',
  summary:
    "A segmentation run's mask on one image, in the task's mask values at the image's size (a draft: nothing is saved).",
  request: z.object({ runId: runIdSchema, taskId: idSchema, imageId: idSchema }).strict(),
  reply: z.object({
    imageId: idSchema,
    mask: maskLabelSchema,
    /** Pixels per task class in the draft (background left out). */
    classPixels: z.array(z.object({ classId: idSchema, pixels: z.number().int().min(0) })),
    /** Mean per-pixel entropy (nats): how unsure the model is of this mask. */
    meanEntropy: z.number().min(0),
  }),
});

export const UNCERTAINTY_MEASURES = ['entropy', 'margin'] as const;
export type UncertaintyMeasure = (typeof UNCERTAINTY_MEASURES)[number];

export const labelNextPickSchema = z.object({
  imageId: idSchema,
  /** What the list is ordered by (higher = more useful to label): entropy, or 1 − margin. */
  score: z.number(),
  /** Entropy (nats) of the class probabilities; segmentation: mean per-pixel entropy. */
  entropy: z.number().min(0),
  /** Classification: top probability minus the second; null for segmentation. */
  margin: probability.nullable(),
  /** Classification: the two most probable classes; segmentation: the largest classes of the predicted mask. */
  top: z.array(classProbabilitySchema),
  /** With diversity: distance to the nearest image picked before it (in the space `diversitySpace` names). */
  distance: z.number().min(0).nullable(),
  /** With diversity: that nearest earlier pick; null for the first pick and without diversity. */
  nearestImageId: idSchema.nullable(),
  /** Why it was picked, in words. */
  reason: z.string(),
});
export type LabelNextPick = z.infer<typeof labelNextPickSchema>;

export const modelsLabelNext = defineChannel({
  name: 'models.labelNext',
  summary:
    "The task's unlabeled images ordered by the run's uncertainty (entropy or margin; segmentation: mean pixel entropy), optionally spread out (k-center).",
  request: z
    .object({
      runId: runIdSchema,
      taskId: idSchema,
      /** Images to rank; default: every image of the workspace the task has no label for. */
      imageIds: z.array(idSchema).min(1).max(MAX_PRELABEL_IMAGES).optional(),
      /** Classification only; segmentation always ranks by mean pixel entropy. */
      measure: z.enum(UNCERTAINTY_MEASURES).default('entropy'),
      /** Spread the picks: greedy k-center over the most uncertain candidates. */
      diversity: z.boolean().default(false),
      limit: z.number().int().min(1).max(MAX_LABEL_NEXT).default(50),
    })
    .strict(),
  reply: z.object({
    measure: z.enum(['entropy', 'margin', 'mean pixel entropy']),
    /**
     * The space diversity measured distances in; null without diversity. The model's
     * penultimate-layer embedding: a classifier's globally pooled features, a U-Net's last feature
     * map averaged over the image.
     */
    diversitySpace: z.enum(['penultimate-layer embeddings']).nullable(),
    /** Images predicted and ranked. */
    considered: z.number().int().min(0),
    picks: z.array(labelNextPickSchema),
  }),
  progress: prelabelProgress,
});
