/**
 * Loupe's demo data: synthetic inspection images (machined washers, some with a scratch, a pit or
 * a chip) for a first run without images of one's own. The app writes them into the open
 * workspace's folder and imports them labelled; `loupe demo` does the same, or writes the folder alone.
 */
import { z } from 'zod';
import { defineChannel } from '../define';
import { progressSchema } from './engine';

/** The task the demo's labelled images are imported into. */
export const DEMO_TASK_NAME = 'Parts (demo)';
/** The segmentation task the same parts are imported into, with a mask of each defect. */
export const DEMO_SEGMENTATION_TASK_NAME = 'Defects (demo)';
/** The detection task the same parts are imported into, with a box round each defect. */
export const DEMO_DETECTION_TASK_NAME = 'Defect boxes (demo)';
/** The classification task of washer pictures whose classes are the washers, for a verifier (identities). */
export const DEMO_VERIFICATION_TASK_NAME = 'Washers (demo)';
export const DEMO_DEFAULTS = { images: 2000, inbox: 1000, seed: 1 } as const;
/** Enough of each class in each split for a test split to mean something; few enough to write in minutes. */
export const DEMO_LIMITS = { images: { min: 20, max: 20_000 }, inbox: { min: 0, max: 100_000 } } as const;

export const demoSplitsSchema = z.object({ train: z.number().int(), val: z.number().int(), test: z.number().int() });

export const workspaceAddDemoData = defineChannel({
  name: 'workspace.addDemoData',
  summary:
    "Write the demo data (labelled parts, pictures of washers and an inbox for a batch run) into a new folder of the open workspace's and import the labelled parts as a classification task and, with their defects' masks and boxes, a segmentation and a detection task, and the washers as a task whose classes are the washers (for a verifier).",
  request: z
    .object({
      /** Labelled images, half of each class, split 70/15/15 into train, val and test. */
      images: z.number().int().min(DEMO_LIMITS.images.min).max(DEMO_LIMITS.images.max).default(DEMO_DEFAULTS.images),
      /** Unlabelled images for a batch run, one in five a defect. */
      inbox: z.number().int().min(DEMO_LIMITS.inbox.min).max(DEMO_LIMITS.inbox.max).default(DEMO_DEFAULTS.inbox),
      seed: z
        .number()
        .int()
        .min(0)
        .max(2 ** 31)
        .default(DEMO_DEFAULTS.seed),
    })
    .strict(),
  reply: z.object({
    /** The folder written, inside the workspace's. */
    folder: z.string(),
    /** Its unlabelled images, for the Batch section or `loupe predict`. */
    inboxFolder: z.string(),
    /** Each inbox image's class (CSV: file, class), to check a batch run against. */
    inboxTruth: z.string(),
    /** The classification task (defect or ok). */
    taskId: z.number().int(),
    taskName: z.string(),
    /** The segmentation task (the defects' masks) on the same images. */
    segmentationTaskId: z.number().int(),
    segmentationTaskName: z.string(),
    /** The detection task (the defects' boxes) on the same images. */
    detectionTaskId: z.number().int(),
    detectionTaskName: z.string(),
    /** The washers' task: a classification task whose classes are the washers, trained with the verification kind. */
    verificationTaskId: z.number().int(),
    verificationTaskName: z.string(),
    /** Washers (identities) per split, each split its own, with this many pictures of each. */
    washers: demoSplitsSchema,
    shotsPerWasher: z.number().int(),
    /** One more picture of each test washer, named for it (washer-161.png), to enrol as the verifier's gallery. */
    washerReferencesFolder: z.string(),
    classes: z.array(z.string()),
    /** Labelled images imported, per split. */
    splits: demoSplitsSchema,
    inbox: z.number().int(),
    inboxDefects: z.number().int(),
  }),
  progress: progressSchema,
});
