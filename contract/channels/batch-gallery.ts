/**
 * A verification model's gallery built from files, without a workspace (`loupe gallery`, and a
 * batch's model folder): reference images enrolled from files and folders, listed and removed.
 * The Train section's Gallery enrols workspace images (models.enrol); both write the same
 * gallery.json in the model folder, which `--gallery` and the Batch section match against.
 */
import { z } from 'zod';
import { absolutePathSchema } from '../common';
import { defineChannel } from '../define';
import { galleryListingSchema } from '../training/verification';
import { frameSchema } from './imaging';
import { batchModelSchema } from './batch';

/** What names a reference enrolled from a file: its folder (a folder per identity) or its file name. */
export const GALLERY_LABEL_SOURCES = ['folder', 'file'] as const;
export type GalleryLabelSource = (typeof GALLERY_LABEL_SOURCES)[number];

/** Most files one enrolment takes: a gallery is references, not a dataset. */
export const MAX_GALLERY_FILES = 20_000;

export const batchGalleryEnrol = defineChannel({
  name: 'batch.galleryEnrol',
  summary:
    "Enrol every image file under the paths (first frame) as a reference in a verification model's gallery; a file enrolled again is replaced.",
  request: z
    .object({
      model: batchModelSchema,
      /** Files and folders; as many files as a gallery takes may be named one by one (a shell's glob). */
      inputs: z.array(absolutePathSchema).min(1).max(MAX_GALLERY_FILES),
      /** Each reference's label: the name of its file's folder (default), or its file name without extension. */
      label: z.enum(GALLERY_LABEL_SOURCES).default('folder'),
    })
    .strict(),
  reply: z.object({
    /** The gallery after the enrolment. */
    gallery: galleryListingSchema,
    enrolled: z.number().int().min(0),
    /** Files that could not be enrolled, with why; the others were. */
    failures: z.array(z.object({ path: z.string(), reason: z.string() })),
  }),
  progress: z.object({ done: z.number().int().min(0), total: z.number().int().min(0) }),
});

export const batchGallery = defineChannel({
  name: 'batch.gallery',
  summary: "The references enrolled in a verification model's gallery (a run's or a model folder's).",
  request: z.object({ model: batchModelSchema }).strict(),
  reply: galleryListingSchema,
});

export const batchGalleryRemove = defineChannel({
  name: 'batch.galleryRemove',
  summary: "Remove references from a verification model's gallery, by id, or all of them.",
  request: z
    .object({
      model: batchModelSchema,
      remove: z.union([
        z.object({ ids: z.array(z.string().min(1)).min(1) }).strict(),
        z.object({ all: z.literal(true) }).strict(),
      ]),
    })
    .strict(),
  reply: galleryListingSchema,
});

/** Most pictures one call returns: a screenful of references, each a frame of any size. */
export const MAX_GALLERY_PICTURES = 32;

export const batchGalleryPictures = defineChannel({
  name: 'batch.galleryPictures',
  summary:
    "The first frame of each of some references in a verification model's gallery that were enrolled from files (the id is the file's path), to show beside a match or in the gallery's list (frames' id is 0); the gallery is read once for them all.",
  request: z
    .object({
      model: batchModelSchema,
      /** Reference ids the gallery holds. */
      ids: z.array(z.string().min(1).max(200)).min(1).max(MAX_GALLERY_PICTURES),
    })
    .strict(),
  reply: z.object({
    /** Per id asked for, in order: its frame, or null and why (not in the gallery, no file, unreadable). */
    pictures: z.array(z.object({ id: z.string(), frame: frameSchema.nullable(), reason: z.string().nullable() })),
  }),
});
