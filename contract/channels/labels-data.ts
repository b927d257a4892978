/**
 * Labels beyond one image: pairs (verification), train/val/test splits, and import/export.
 * Split from labels.ts only for length; the same domain and the same handlers.
 */
import { z } from 'zod';
import { absolutePathSchema } from '../common';
import { defineChannel } from '../define';
import { progressSchema } from './engine';
import { labelNameSchema } from './labels';
import { SPLITS, TASK_KINDS, type TaskKind } from '../tasks';

const idSchema = z.number().int().positive();

export const pairSchema = z.object({
  id: idSchema,
  imageA: idSchema,
  imageB: idSchema,
  same: z.boolean(),
  /** 'manual' when a person marked it, 'generated' when labels.generatePairs made it. */
  source: z.enum(['manual', 'generated']),
});
export type LabelPair = z.infer<typeof pairSchema>;

/** Page size cap for pair lists: a screenful many times over, bounded so a reply stays small. */
export const MAX_PAIR_PAGE = 5000;

export const labelsPairs = defineChannel({
  name: 'labels.pairs',
  summary: 'A page of a verification task’s pairs, newest first.',
  request: z
    .object({
      taskId: idSchema,
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(MAX_PAIR_PAGE).default(200),
    })
    .strict(),
  reply: z.object({ pairs: z.array(pairSchema), total: z.number().int().min(0) }),
});

export const labelsAddPair = defineChannel({
  name: 'labels.addPair',
  summary: 'Mark two images same or different (marking an existing pair again updates it).',
  request: z
    .object({ taskId: idSchema, imageA: idSchema, imageB: idSchema, same: z.boolean() })
    .strict()
    .refine((r) => r.imageA !== r.imageB, 'A pair needs two different images.'),
  reply: pairSchema,
});

export const labelsDeletePairs = defineChannel({
  name: 'labels.deletePairs',
  summary: 'Delete pairs by id.',
  request: z.object({ taskId: idSchema, pairIds: z.array(idSchema).min(1) }).strict(),
  reply: z.object({ deleted: z.number().int().min(0) }),
});

export const labelsGeneratePairs = defineChannel({
  name: 'labels.generatePairs',
  summary: 'Make balanced same/different pairs from a classification task’s labels (seeded).',
  request: z
    .object({
      taskId: idSchema,
      /** The classification task whose classes decide same (one class) or different. */
      fromTaskId: idSchema,
      /** Positive pairs wanted; as many negatives are made, so the set is balanced. */
      positives: z.number().int().min(1).max(1_000_000),
      seed: z.number().int().default(0),
      /** Pair only images of one split (no train/test leak): the verification task's own split once it has one, else fromTaskId's. Default true. */
      sameSplitOnly: z.boolean().default(true),
    })
    .strict(),
  reply: z.object({ positives: z.number().int(), negatives: z.number().int(), alreadyThere: z.number().int() }),
});

export const groupBySchema = z.discriminatedUnion('kind', [
  /** Every image its own group (no grouping). */
  z.object({ kind: z.literal('image') }).strict(),
  /** DICOM PatientID: all images of a patient stay in one split. */
  z.object({ kind: z.literal('patient') }).strict(),
  /** Any metadata field of the image (e.g. StudyInstanceUID, or a field from an import CSV). */
  z.object({ kind: z.literal('metadata'), field: z.string().min(1).max(200) }).strict(),
  /** A regular expression on the file name; its first capture group (or the whole match) is the group, e.g. a part ID. */
  z.object({ kind: z.literal('filename'), pattern: z.string().min(1).max(500) }).strict(),
]);
export type GroupBy = z.infer<typeof groupBySchema>;

/** Fractions must add up to 1 within this: 0.7 + 0.2 + 0.1 is not exactly 1 in floating point. */
export const FRACTION_TOLERANCE = 1e-6;

export const splitFractionsSchema = z
  .object({ train: z.number().min(0).max(1), val: z.number().min(0).max(1), test: z.number().min(0).max(1) })
  .strict()
  .refine(
    (f) => Math.abs(f.train + f.val + f.test - 1) <= FRACTION_TOLERANCE,
    'The train, val and test fractions must add up to 1.',
  );
export type SplitFractions = z.infer<typeof splitFractionsSchema>;

export const splitSettingsSchema = z.object({
  fractions: z.object({ train: z.number(), val: z.number(), test: z.number() }),
  groupBy: groupBySchema,
  seed: z.number().int(),
  /** Locked: reassigning keeps every image's split and only places new images. */
  locked: z.boolean(),
  assignedAt: z.string(),
});
export type SplitSettings = z.infer<typeof splitSettingsSchema>;

export const splitCountsSchema = z.object({
  taskId: idSchema,
  settings: splitSettingsSchema.nullable(),
  splits: z.array(
    z.object({
      split: z.enum(SPLITS),
      images: z.number().int(),
      groups: z.number().int(),
      /** Per class: images carrying it, and instances (tags, boxes, or mask pixels). */
      classes: z.array(z.object({ classId: idSchema, images: z.number().int(), instances: z.number().int() })),
      unlabeled: z.number().int(),
    }),
  ),
  unassigned: z.number().int(),
});
export type SplitCounts = z.infer<typeof splitCountsSchema>;

export const labelsAssignSplits = defineChannel({
  name: 'labels.assignSplits',
  summary:
    'Assign train/val/test: stratified by class, grouped (patient, metadata field, or file-name pattern), seeded.',
  request: z
    .object({
      taskId: idSchema,
      fractions: splitFractionsSchema,
      groupBy: groupBySchema.default({ kind: 'patient' }),
      seed: z.number().int().default(0),
      /** Keep the splits already assigned and place only new images (the default when the split is locked). */
      keepExisting: z.boolean().optional(),
    })
    .strict(),
  reply: splitCountsSchema.extend({
    /** Images whose group key was missing (no PatientID, no match): each became its own group. */
    ungrouped: z.number().int(),
    newlyAssigned: z.number().int(),
  }),
});

export const labelsLockSplits = defineChannel({
  name: 'labels.lockSplits',
  summary: 'Lock or unlock a task’s split (locked: new images are added, old ones stay).',
  request: z.object({ taskId: idSchema, locked: z.boolean() }).strict(),
  reply: splitCountsSchema,
});

export const labelsSplitCounts = defineChannel({
  name: 'labels.splitCounts',
  summary: 'Images and class counts per split.',
  request: z.object({ taskId: idSchema }).strict(),
  reply: splitCountsSchema,
});

/**
 * coco: boxes or masks · yolo: boxes or polygons · voc: boxes · masks: PNG folder · csv: class tags or pairs ·
 * imagefolder: root/<class>/<image> (torchvision ImageFolder) · image-mask: images/x + masks/x.png. The last two
 * hold the images too: an import brings in those not yet in the workspace.
 */
export const LABEL_FORMATS = ['coco', 'yolo', 'voc', 'masks', 'csv', 'imagefolder', 'image-mask'] as const;
export type LabelFormat = (typeof LABEL_FORMATS)[number];
/** Which task kinds each format carries: the services refuse the rest; the CLI and the UI offer only these. */
export const LABEL_FORMAT_KINDS: Record<LabelFormat, readonly TaskKind[]> = {
  coco: ['detection', 'segmentation'],
  yolo: ['detection', 'segmentation'],
  voc: ['detection'],
  masks: ['segmentation'],
  csv: ['classification', 'verification'],
  imagefolder: ['classification'],
  'image-mask': ['segmentation'],
};

/** Formats whose folder holds the images themselves, imported along with their labels. */
export const FORMATS_WITH_IMAGES: readonly LabelFormat[] = ['imagefolder', 'image-mask'];

/** The CSV columns an import can be told to read (`--columns a=COL,b=COL,same=COL`). */
export const CSV_COLUMN_ROLES = ['image', 'class', 'split', 'a', 'b', 'same'] as const;
export type CsvColumnRole = (typeof CSV_COLUMN_ROLES)[number];

export const importCountsSchema = z.object({
  classTags: z.number().int(),
  boxes: z.number().int(),
  masks: z.number().int(),
  pairs: z.number().int(),
});

/** At most this many skipped items are listed one by one; the total is always given. */
export const MAX_REPORTED_SKIPS = 1000;

export const labelsImportReportSchema = z.object({
  taskId: idSchema.nullable(),
  taskName: z.string(),
  createdTask: z.boolean(),
  dryRun: z.boolean(),
  /** Images whose labels the import replaced (or would replace, in a dry run). */
  images: z.number().int(),
  imported: importCountsSchema,
  classesCreated: z.array(z.string()),
  skipped: z.array(z.object({ where: z.string(), reason: z.string() })),
  skippedTotal: z.number().int(),
  /** imagefolder / image-mask: images brought into the workspace by this import (dry run: that would be). */
  imagesAdded: z.number().int(),
  /** Images given a split (train/val/test) by the file's folders or split column. */
  splitsAssigned: z.number().int(),
});
export type LabelsImportReport = z.infer<typeof labelsImportReportSchema>;

export const labelsImport = defineChannel({
  name: 'labels.import',
  summary:
    'Import labels from a file or folder into a task; all or nothing, with a report of what was skipped and why.',
  request: z
    .object({
      format: z.enum(LABEL_FORMATS),
      /** The COCO JSON / CSV file, or the YOLO / VOC / masks / imagefolder / image-mask folder. */
      path: absolutePathSchema,
      /** Import into this task… */
      taskId: idSchema.optional(),
      /** …or into the task with this name, made when missing (kind inferred from the file unless given). */
      taskName: labelNameSchema.optional(),
      kind: z.enum(TASK_KINDS).optional(),
      /** Report what would happen without changing anything. */
      dryRun: z.boolean().default(false),
      /**
       * A malformed label (a bbox that is not four numbers, an unknown category, a polygon
       * outside the image) refuses the whole import by default, since importing the rest would
       * replace that image's labels with an incomplete set. With this, such images are left
       * untouched and listed in the report instead.
       */
      skipMalformed: z.boolean().default(false),
      /**
       * Put every image the import labels in this split: for a dataset exported one file per split
       * (COCO's instances_train.json and instances_val.json, a YOLO or VOC folder per split). Refused
       * for a file whose folders or split column set splits themselves.
       */
      split: z.enum(SPLITS).optional(),
      /** CSV: which column holds what, when the header is not one Loupe knows (e.g. { a: 'left', same: 'match' }). */
      columns: z.partialRecord(z.enum(CSV_COLUMN_ROLES), z.string().trim().min(1).max(200)).optional(),
    })
    .strict()
    .refine((r) => (r.taskId === undefined) !== (r.taskName === undefined), 'Give either taskId or taskName.'),
  reply: labelsImportReportSchema,
  progress: progressSchema,
});

export const exportReportSchema = z.object({
  taskId: idSchema,
  format: z.enum(LABEL_FORMATS),
  out: z.string(),
  files: z.number().int(),
  images: z.number().int(),
  exported: importCountsSchema,
});
export type ExportReport = z.infer<typeof exportReportSchema>;

export const labelsExport = defineChannel({
  name: 'labels.export',
  summary: 'Export a task’s labels into a folder (each file written atomically).',
  request: z.object({ taskId: idSchema, format: z.enum(LABEL_FORMATS), out: absolutePathSchema }).strict(),
  reply: exportReportSchema,
  progress: progressSchema,
});
