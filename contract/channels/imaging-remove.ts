/**
 * Removing images from a workspace: their rows and everything Loupe made for them (labels, masks,
 * boxes, pairs, splits, thumbnails). Source files are never touched. Runs keep their record (the
 * dataset snapshot names image ids and hashes) and their model; the review audit trail keeps its
 * rows, which name images by content.
 */
import { z } from 'zod';
import { defineChannel } from '../define';

/** Most images in one removal: a screenful of selection, or a folder's worth from the CLI. */
export const MAX_IMAGES_REMOVED = 100_000;

export const imagingRemove = defineChannel({
  name: 'imaging.remove',
  summary:
    'Remove images from the workspace with their labels, masks and thumbnails (never the source files); refused when a completed run trained on them unless evenIfTrained.',
  request: z
    .object({
      imageIds: z.array(z.number().int().positive()).min(1).max(MAX_IMAGES_REMOVED),
      /** Remove even images a completed run trained, validated or tested on (the run keeps its snapshot). */
      evenIfTrained: z.boolean().default(false),
    })
    .strict(),
  reply: z.object({
    removed: z.number().int().min(0),
    /** Ids asked for that the workspace does not hold (already removed). */
    notFound: z.number().int().min(0),
    maskFilesDeleted: z.number().int().min(0),
    thumbnailsDeleted: z.number().int().min(0),
    /** Completed runs whose dataset held some of the removed images, with how many. */
    trainedOn: z.array(z.object({ runId: z.string(), images: z.number().int().min(1) })),
  }),
});
