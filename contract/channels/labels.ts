/**
 * Labels: tasks and their classes, per-image labels (class tags, boxes, masks), pairs, splits,
 * and interchange with COCO / YOLO / Pascal VOC / mask folders / CSV.
 *
 * Saving is designed for an autosaving UI. `labels.save` carries the image's whole state for one
 * task (its class tags, or its boxes, or its mask), not a list of operations, so a save can be
 * repeated safely. Each save names the revision it was made on (`baseRevision`) and an id chosen
 * by the caller (`saveId`): a save on an old revision is refused with CONFLICT (someone else — the
 * CLI, another window, a bulk assign — changed the image since), and a save whose id was already
 * applied (a retry after a lost reply) is answered with the revision it made, not applied twice.
 */
import { z } from 'zod';
import { TASK_FRAMES, TASK_KINDS } from '../tasks';
import { taskImagesSchema } from '../task-images';
import { defineChannel } from '../define';
import { labelNameSchema } from '../label-names';

export { checkLabelName, labelNameSchema, MAX_LABEL_NAME } from '../label-names';

/** Mask PNGs are 8-bit label-index images: 0 is background, so at most 255 classes per segmentation task. */
export const MAX_MASK_CLASSES = 255;
const idSchema = z.number().int().positive();
const nameSchema = labelNameSchema;
export const colorSchema = z
  .string()
  .regex(/^#[0-9a-f]{6}$/i, 'A colour is #rrggbb.')
  .transform((s) => s.toLowerCase());

export const labelClassSchema = z.object({
  id: idSchema,
  taskId: idSchema,
  name: z.string(),
  color: z.string(),
  /** Order in the legend; keys 1–9 pick the first nine. */
  position: z.number().int().min(0),
  /** Segmentation: the value this class has in mask PNGs (1–255); null for other kinds. */
  maskIndex: z.number().int().min(1).max(MAX_MASK_CLASSES).nullable(),
});
export type LabelClass = z.infer<typeof labelClassSchema>;

export const labelTaskSchema = z.object({
  id: idSchema,
  name: z.string(),
  kind: z.enum(TASK_KINDS),
  /** Classification only: an image may carry several classes. */
  multiLabel: z.boolean(),
  /** Which frames of multi-frame images training and evaluation use. */
  frames: z.enum(TASK_FRAMES),
  /** Which images of the workspace the task uses (labels.setTaskImages). */
  images: taskImagesSchema,
  classes: z.array(labelClassSchema),
  createdAt: z.string(),
});
export type LabelTask = z.infer<typeof labelTaskSchema>;

/** What deleting a class or a task would remove; shown to the user and sent back to confirm. */
export const labelLossSchema = z.object({
  images: z.number().int().min(0),
  classTags: z.number().int().min(0),
  boxes: z.number().int().min(0),
  masks: z.number().int().min(0),
  maskPixels: z.number().int().min(0),
  pairs: z.number().int().min(0),
});
export type LabelLoss = z.infer<typeof labelLossSchema>;

export const boxLabelSchema = z
  .object({
    classId: idSchema,
    x1: z.number().finite(),
    y1: z.number().finite(),
    x2: z.number().finite(),
    y2: z.number().finite(),
  })
  .refine((b) => b.x2 > b.x1 && b.y2 > b.y1, 'A box needs x2 > x1 and y2 > y1.');
export type BoxLabel = z.infer<typeof boxLabelSchema>;

/** A frame index of a multi-frame image (0 for a single-frame image). */
const frameSchema = z.number().int().min(0);

/** A mask at source resolution: one byte per pixel, row-major, values are class mask indices. */
export const maskLabelSchema = z
  .object({
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    data: z.instanceof(Uint8Array),
  })
  .refine((m) => m.data.length === m.width * m.height, 'Mask data must hold width × height bytes.');
export type MaskLabel = z.infer<typeof maskLabelSchema>;

export const imageLabelsSchema = z.object({
  taskId: idSchema,
  imageId: idSchema,
  /** 0 when nothing was ever saved for this image in this task. */
  revision: z.number().int().min(0),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  classIds: z.array(idSchema),
  boxes: z.array(boxLabelSchema),
  /** The mask of `frame` (segmentation keeps one mask per frame of a multi-frame image). */
  mask: maskLabelSchema.nullable(),
  frame: frameSchema,
  /** Every frame of the image that has a mask in this task, ascending. */
  maskFrames: z.array(frameSchema),
});
export type ImageLabels = z.infer<typeof imageLabelsSchema>;

const taskRef = z.object({ taskId: idSchema }).strict();

export const labelsTasks = defineChannel({
  name: 'labels.tasks',
  summary: 'The label tasks of the open workspace, with their classes.',
  request: z.object({}).strict(),
  reply: z.object({ tasks: z.array(labelTaskSchema) }),
});

export const labelsCreateTask = defineChannel({
  name: 'labels.createTask',
  summary: 'Create a label task (classification, segmentation, detection or verification), optionally with classes.',
  request: z
    .object({
      name: nameSchema,
      kind: z.enum(TASK_KINDS),
      multiLabel: z.boolean().default(false),
      classes: z
        .array(z.object({ name: nameSchema, color: colorSchema.optional() }).strict())
        .max(MAX_MASK_CLASSES)
        .default([]),
    })
    .strict(),
  reply: labelTaskSchema,
});

export const labelsRenameTask = defineChannel({
  name: 'labels.renameTask',
  summary: 'Rename a task.',
  request: z.object({ taskId: idSchema, name: nameSchema }).strict(),
  reply: labelTaskSchema,
});

export const labelsSetTaskFrames = defineChannel({
  name: 'labels.setTaskFrames',
  summary: 'Choose which frames of multi-frame images the task trains and evaluates on: first, middle or all.',
  request: z.object({ taskId: idSchema, frames: z.enum(TASK_FRAMES) }).strict(),
  reply: labelTaskSchema,
});

export const labelsTaskLoss = defineChannel({
  name: 'labels.taskLoss',
  summary: 'Dry run: what deleting the task would remove.',
  request: taskRef,
  reply: labelLossSchema,
});

export const labelsDeleteTask = defineChannel({
  name: 'labels.deleteTask',
  summary: 'Delete a task and all its labels; `confirm` must equal what labels.taskLoss reported.',
  request: z.object({ taskId: idSchema, confirm: labelLossSchema }).strict(),
  reply: z.object({ deleted: labelLossSchema }),
});

export const labelsAddClass = defineChannel({
  name: 'labels.addClass',
  summary: 'Add a class to a task (a free colour is chosen when none is given).',
  request: z.object({ taskId: idSchema, name: nameSchema, color: colorSchema.optional() }).strict(),
  reply: labelClassSchema,
});

export const labelsUpdateClass = defineChannel({
  name: 'labels.updateClass',
  summary: 'Rename or recolour a class; labels refer to the class, so they follow.',
  request: z.object({ classId: idSchema, name: nameSchema.optional(), color: colorSchema.optional() }).strict(),
  reply: labelClassSchema,
});

export const labelsReorderClasses = defineChannel({
  name: 'labels.reorderClasses',
  summary: 'Set the order of a task’s classes (keys 1–9 follow it).',
  request: z.object({ taskId: idSchema, classIds: z.array(idSchema) }).strict(),
  reply: labelTaskSchema,
});

export const labelsClassLoss = defineChannel({
  name: 'labels.classLoss',
  summary: 'Dry run: what deleting the class would remove (tags, boxes, mask pixels).',
  request: z.object({ classId: idSchema }).strict(),
  reply: labelLossSchema,
});

export const labelsDeleteClass = defineChannel({
  name: 'labels.deleteClass',
  summary: 'Delete a class and its labels (mask pixels become background); `confirm` must equal labels.classLoss.',
  request: z.object({ classId: idSchema, confirm: labelLossSchema }).strict(),
  reply: z.object({ deleted: labelLossSchema }),
});

export const labelsGet = defineChannel({
  name: 'labels.get',
  summary:
    'One image’s labels in one task, with its revision (the mask of one frame, default 0, at source resolution).',
  request: z.object({ taskId: idSchema, imageId: idSchema, frame: frameSchema.optional() }).strict(),
  reply: imageLabelsSchema,
});

export const saveRequestSchema = z
  .object({
    taskId: idSchema,
    imageId: idSchema,
    /** Chosen by the caller, new for each new state; a retry of the same state reuses it. */
    saveId: z.string().min(1).max(100),
    /** The revision the edits were made on (0 for an image never saved). */
    baseRevision: z.number().int().min(0),
    /** Classification: the image's whole set of classes. */
    classIds: z.array(idSchema).optional(),
    /** Detection: the image's whole list of boxes. */
    boxes: z.array(boxLabelSchema).optional(),
    /** Segmentation: the whole mask; null clears it. */
    mask: maskLabelSchema.nullable().optional(),
    /** Segmentation: the frame the mask belongs to (default 0); the revision stays the image's. */
    frame: frameSchema.optional(),
  })
  .strict()
  .refine(
    (r) => [r.classIds, r.boxes, r.mask].filter((v) => v !== undefined).length === 1,
    'Send exactly one of classIds, boxes or mask.',
  )
  .refine((r) => r.frame === undefined || r.mask !== undefined, 'A frame is given only with a mask.');
export type SaveRequest = z.input<typeof saveRequestSchema>;

export const labelsSave = defineChannel({
  name: 'labels.save',
  summary: 'Save one image’s labels in one task; refused with CONFLICT when the image changed since baseRevision.',
  request: saveRequestSchema,
  reply: z.object({ revision: z.number().int().positive(), duplicate: z.boolean(), savedAt: z.string() }),
});

export const ASSIGN_MODES = ['set', 'add', 'remove', 'clear'] as const;

export const labelsAssign = defineChannel({
  name: 'labels.assign',
  summary: 'Bulk class tags for many images at once (one transaction): set, add, remove a class, or clear.',
  request: z
    .object({
      taskId: idSchema,
      imageIds: z.array(idSchema).min(1).max(1_000_000),
      mode: z.enum(ASSIGN_MODES),
      classId: idSchema.optional(),
      /** Where the tags came from (e.g. `prelabel:<runId>`), recorded as the changed images' save id. */
      origin: z.string().min(1).max(100).optional(),
    })
    .strict()
    .refine(
      (r) => (r.mode === 'clear') === (r.classId === undefined),
      'Give a classId for set/add/remove, and none for clear.',
    ),
  reply: z.object({ revisions: z.array(z.object({ imageId: idSchema, revision: z.number().int().min(0) })) }),
});

export const imageLabelSummarySchema = z.object({
  imageId: idSchema,
  revision: z.number().int().min(0),
  /** Classes present: tags, box classes, or classes with mask pixels. */
  classIds: z.array(idSchema),
  boxes: z.number().int().min(0),
  labeled: z.boolean(),
  split: z.enum(['train', 'val', 'test']).nullable(),
});
export type ImageLabelSummary = z.infer<typeof imageLabelSummarySchema>;

export const labelsSummary = defineChannel({
  name: 'labels.summary',
  summary:
    'Per image of the task (its chosen images): classes present, box count, labeled or not, split — for the grid and its filters.',
  request: taskRef,
  reply: z.object({ images: z.array(imageLabelSummarySchema) }),
});
