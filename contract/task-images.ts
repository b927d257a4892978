/**
 * Which images of the workspace a task uses: all of them (the default, and what every task did
 * before the choice existed), a rule, or a list.
 *
 * A rule is stored as a rule and evaluated whenever the task's images are enumerated, so images
 * imported later that match it join the task. A list is what it says: frozen image ids (an image
 * removed from the workspace leaves it). Within a rule, the values of one criterion are
 * alternatives (CT or MR), and criteria must all hold (CT *and* under /data/chest); a criterion
 * left empty does not restrict.
 */
import { z } from 'zod';
import { absolutePathSchema } from './common';

/** Folders, modalities and classes a rule may name: more than anyone picks by hand, bounded for the UI. */
export const MAX_RULE_VALUES = 100;
/** Images an explicit list may hold. */
export const MAX_LISTED_IMAGES = 1_000_000;

/** DICOM CS values are at most 16 characters; file kinds are shorter still. */
const MAX_MODALITY_CHARS = 16;

const idSchema = z.number().int().positive();

const ruleFields = {
  /** Absolute folder paths: an image in the folder or below it matches. */
  folders: z.array(absolutePathSchema).max(MAX_RULE_VALUES).default([]),
  /** DICOM Modality (CT, MR, CR…) or, for other files, the file kind (PNG, JPEG, TIFF…); see imageModality. */
  modalities: z
    .array(
      z
        .string()
        .trim()
        .min(1)
        .max(MAX_MODALITY_CHARS)
        .transform((s) => s.toUpperCase()),
    )
    .max(MAX_RULE_VALUES)
    .default([]),
  /** Classes of other tasks: an image carrying one of them there (a tag, a box, mask pixels) matches. */
  classIds: z.array(idSchema).max(MAX_RULE_VALUES).default([]),
};

const allSchema = z.object({ kind: z.literal('all') }).strict();
const ruleSchema = z
  .object({ kind: z.literal('rule'), ...ruleFields })
  .strict()
  .refine((r) => r.folders.length + r.modalities.length + r.classIds.length > 0, {
    error: 'A rule names at least one folder, modality or class; to use every image choose "all".',
  });

/** What a caller sends to set a task's images. */
export const taskImageSelectionSchema = z.discriminatedUnion('kind', [
  allSchema,
  ruleSchema,
  z.object({ kind: z.literal('list'), imageIds: z.array(idSchema).min(1).max(MAX_LISTED_IMAGES) }).strict(),
]);
export type TaskImageSelection = z.output<typeof taskImageSelectionSchema>;
export type TaskImageRule = Extract<TaskImageSelection, { kind: 'rule' }>;

/** How a task reports its images: a list is reported by its size (it may hold 100,000 ids). */
export const taskImagesSchema = z.discriminatedUnion('kind', [
  allSchema,
  z.object({
    kind: z.literal('rule'),
    folders: z.array(z.string()),
    modalities: z.array(z.string()),
    classIds: z.array(idSchema),
  }),
  z.object({ kind: z.literal('list'), count: z.number().int().min(0) }),
]);
export type TaskImages = z.output<typeof taskImagesSchema>;

/**
 * The modality a rule matches an image on: its DICOM Modality where it has one, else its file kind
 * in capitals (PNG, JPEG, TIFF, NIFTI, or DICOM for a DICOM file without a Modality).
 */
export function imageModality(format: string, modality: string | null): string {
  const dicomModality = modality?.trim().toUpperCase();
  return dicomModality ? dicomModality : format.toUpperCase();
}

/** A short description of a task's images, for lists and confirmations ("CT · under /data/chest"). */
export function describeTaskImages(images: TaskImages, className: (classId: number) => string): string {
  if (images.kind === 'all') return 'all images';
  if (images.kind === 'list') return `${images.count} chosen image${images.count === 1 ? '' : 's'}`;
  const parts = [
    images.modalities.length ? images.modalities.join(' or ') : '',
    images.folders.length ? `under ${images.folders.join(' or ')}` : '',
    images.classIds.length ? `carrying ${images.classIds.map(className).join(' or ')}` : '',
  ];
  return parts.filter(Boolean).join(' · ');
}
