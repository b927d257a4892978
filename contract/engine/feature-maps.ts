/**
 * What a model computes inside (the engine's `featureMaps` method): one layer's activations on
 * one frame, channel by channel, and the first convolution's filters, for the Review section's
 * Layers panel and `loupe feature-maps`.
 */
import { z } from 'zod';
import { absolutePathSchema } from '../common';
import { decodedFrameSchema } from '../training/dataset';

/** Channels sent by default: a grid of 64 tiles is what a panel beside the image can show legibly. */
export const DEFAULT_FEATURE_MAP_CHANNELS = 64;
/** The most channels one call sends (a 512-channel layer at 28 × 28 is 1.6 MB of float32). */
export const MAX_FEATURE_MAP_CHANNELS = 512;

export const featureMapsRequestSchema = z
  .object({
    modelDir: absolutePathSchema,
    frame: decodedFrameSchema,
    /** A feature-map layer of the model (a name from the reply's `layers`); default the backbone's last. */
    layer: z.string().min(1).optional(),
    /** Channels sent, the first ones in the layer's order; the reply says how many the layer has. */
    maxChannels: z.number().int().min(1).max(MAX_FEATURE_MAP_CHANNELS).default(DEFAULT_FEATURE_MAP_CHANNELS),
  })
  .strict();

export const firstFiltersSchema = z.object({
  /** The first convolution layer, whose kernels look at the input's pixels directly. */
  layer: z.string(),
  /** Filters sent (the first ones) and the layer's count. */
  count: z.number().int(),
  total: z.number().int(),
  /** The model input's channels: 1 (grey tiles) or 3 (RGB tiles). */
  inputChannels: z.number().int(),
  kernelRows: z.number().int(),
  kernelColumns: z.number().int(),
  /** `count × inputChannels × kernelRows × kernelColumns`, the layer's stored weights (no bias). */
  weights: z.instanceof(Float32Array),
});
export type FirstFilters = z.infer<typeof firstFiltersSchema>;

export const featureMapsReplySchema = z.object({
  /** The model's feature-map layers, in graph order: the names `layer` accepts. */
  layers: z.array(z.string()),
  layer: z.string(),
  /** Channels sent (the first ones) and the layer's count. */
  count: z.number().int(),
  total: z.number().int(),
  /** One channel's size, at the layer's resolution. */
  rows: z.number().int(),
  columns: z.number().int(),
  /** `count × rows × columns`, channel by channel, row-major: the activations as the layer outputs them. */
  activations: z.instanceof(Float32Array),
  /** The model input's size, and where the frame lies on it (`top, left, height, width` in input pixels). */
  input: z.object({ rows: z.number().int(), columns: z.number().int() }),
  placement: z.object({ top: z.number(), left: z.number(), height: z.number(), width: z.number() }),
  /** Null when the model has no plain convolution (none reads the pixels directly). */
  filters: firstFiltersSchema.nullable(),
});
export type FeatureMapsReply = z.infer<typeof featureMapsReplySchema>;

/**
 * Channel `index` of `values` (channel-major, `pixels` per channel) scaled to [0, 1] by its own
 * minimum and maximum, as the Layers panel and `loupe feature-maps` draw it: each tile shows where
 * that channel fires most, whatever its scale. A constant channel comes back as zeros.
 */
export function normalisedChannel(values: Float32Array, index: number, pixels: number): Float32Array {
  const channel = values.subarray(index * pixels, (index + 1) * pixels);
  let low = Infinity;
  let high = -Infinity;
  for (const v of channel) {
    if (v < low) low = v;
    if (v > high) high = v;
  }
  const out = new Float32Array(pixels);
  if (!(high > low)) return out;
  for (let i = 0; i < pixels; i++) out[i] = (channel[i]! - low) / (high - low);
  return out;
}
