/**
 * What a run's model computes inside, for people: one layer's feature maps on one image and the
 * first convolution's filters (the engine's `featureMaps`, contract/engine/feature-maps.ts). The
 * Review section's Layers panel asks for an image of the workspace; `loupe feature-maps` writes
 * them as PNGs for any image file.
 */
import { z } from 'zod';
import { absolutePathSchema } from '../common';
import { defineChannel } from '../define';
import { featureMapsReplySchema, MAX_FEATURE_MAP_CHANNELS, DEFAULT_FEATURE_MAP_CHANNELS } from '../engine/feature-maps';
import { runIdSchema } from './runs';

/** The file listing what `explain.featureMaps` wrote, in the output folder. */
export const FEATURE_MAPS_FILE = 'feature-maps.json';

export const reviewFeatureMaps = defineChannel({
  name: 'review.featureMaps',
  summary:
    "One layer's feature maps of a run's model on one workspace image (the frame the model reads), and its first convolution's filters.",
  request: z
    .object({
      runId: runIdSchema,
      imageId: z.number().int().positive(),
      /** A feature-map layer of the model; default the backbone's last. */
      layer: z.string().min(1).optional(),
    })
    .strict(),
  reply: featureMapsReplySchema.extend({
    runId: z.string(),
    imageId: z.number().int(),
    /** The frame the model read (0, the first) and its size: a tile laid over the image lies on these pixels. */
    frame: z.number().int().min(0),
    frameRows: z.number().int(),
    frameColumns: z.number().int(),
  }),
});

export const explainFeatureMaps = defineChannel({
  name: 'explain.featureMaps',
  summary:
    "Write one layer's feature maps of a completed run's model on an image file as PNGs (a grid and one file per channel), with the first convolution's filters and feature-maps.json.",
  request: z
    .object({
      runId: z.string().min(1),
      image: absolutePathSchema,
      /** A feature-map layer of the model; default the backbone's last. An unknown name is refused with the list. */
      layer: z.string().min(1).optional(),
      maxChannels: z.number().int().min(1).max(MAX_FEATURE_MAP_CHANNELS).default(DEFAULT_FEATURE_MAP_CHANNELS),
      out: absolutePathSchema,
      /** Write into an output folder that is not empty (files of the same name are replaced). */
      force: z.boolean().default(false),
    })
    .strict(),
  reply: z.object({
    out: z.string(),
    runId: z.string(),
    image: z.string(),
    layers: z.array(z.string()),
    layer: z.string(),
    /** Channels written (the first ones) and the layer's count. */
    count: z.number().int(),
    total: z.number().int(),
    rows: z.number().int(),
    columns: z.number().int(),
    /** Relative to the output folder: every channel as a tile of one PNG. */
    grid: z.string(),
    /** Relative to the output folder: one 8-bit grey PNG per channel at the layer's resolution, with its raw range. */
    channels: z.array(z.object({ index: z.number().int(), file: z.string(), min: z.number(), max: z.number() })),
    /** The first convolution's filters as a grid of tiles (grey for one input channel, RGB for three); null without one. */
    filters: z
      .object({ layer: z.string(), count: z.number().int(), total: z.number().int(), file: z.string() })
      .nullable(),
  }),
});
