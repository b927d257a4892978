/**
 * The model card's intensity scaling and standardisation as graph ops, so that an exported model
 * takes modality values (after rescale slope/intercept, channel conversion and resize) and gives
 * what Loupe's Predictor gives. Mirrors scaleIntensity in ml/data/preprocessing.ts step by step.
 */
import { LoupeError, type PreprocessingSpec } from '../../contract/index';
import type { OnnxGraph } from './onnx-graph';
import { attr } from './onnx-proto';

/** The scaled, optionally standardised model input, from `input` ([N, C, H, W], modality units). */
export function bakePreprocessing(graph: OnnxGraph, input: string, spec: PreprocessingSpec): string {
  const channels = spec.channels;
  let low: string;
  let span: string;
  switch (spec.intensity.mode) {
    case 'window': {
      const { center, width } = spec.intensity.window;
      const lo = center - 0.5 - (width - 1) / 2;
      const hi = center - 0.5 + (width - 1) / 2;
      low = graph.scalar('window_low', lo);
      span = graph.scalar('window_span', hi - lo > 0 ? hi - lo : 1);
      break;
    }
    case 'range':
      low = graph.scalar('range_low', spec.intensity.min);
      span = graph.scalar(
        'range_span',
        spec.intensity.max - spec.intensity.min > 0 ? spec.intensity.max - spec.intensity.min : 1,
      );
      break;
    case 'per-image': {
      // Each image's own minimum and maximum over all its channels and pixels.
      const axes = [attr.ints('axes', [1, 2, 3]), attr.int('keepdims', 1)];
      low = graph.node('ReduceMin', [input], 'image_min', axes);
      const high = graph.node('ReduceMax', [input], 'image_max', axes);
      const raw = graph.node('Sub', [high, low], 'image_span');
      const positive = graph.node('Greater', [raw, graph.scalar('zero', 0)], 'image_span_positive');
      span = graph.node('Where', [positive, raw, graph.scalar('one', 1)], 'image_span_or_one');
      break;
    }
    case 'dtype':
      throw new LoupeError(
        'INVALID_REQUEST',
        "This model scales intensity by each file's stored type (8- or 16-bit), which a graph cannot know from float pixels: export without the scaling baked in (untick “Bake the intensity scaling” in the Export section, or --no-preprocessing) and scale the pixels to [0, 1] yourself.",
      );
    default:
      throw new LoupeError(
        'INVALID_REQUEST',
        'An "auto" intensity must be resolved on the training images before export.',
      );
  }
  let x = graph.node('Div', [graph.node('Sub', [input, low], 'intensity_shift'), span], 'intensity_scale');
  x = graph.node('Clip', [x, graph.scalar('clip_min', 0), graph.scalar('clip_max', 1)], 'intensity_clip');
  if (spec.normalize) {
    const per = (v: number[]) => Array.from({ length: channels }, (_, c) => v[Math.min(c, v.length - 1)]!);
    const mean = graph.float('normalize_mean', [channels, 1, 1], per(spec.normalize.mean));
    const std = graph.float('normalize_std', [channels, 1, 1], per(spec.normalize.std));
    x = graph.node('Div', [graph.node('Sub', [x, mean], 'normalize_shift'), std], 'normalize_scale');
  }
  return x;
}

/** What the exported model's input holds, for the model card and the README. */
export function describeInput(spec: PreprocessingSpec, baked: boolean): string {
  const shape = `[batch, ${spec.channels}, ${spec.rows}, ${spec.columns}] float32 (NCHW)`;
  if (!baked)
    return `${shape}: pixels already preprocessed as the card's "preprocessing" says (scaled to [0, 1]${spec.normalize ? ', then standardised' : ''}).`;
  const rescale = spec.applyRescale ? 'after DICOM rescale slope/intercept' : 'stored values';
  return `${shape}: pixel values in modality units (${rescale}), ${spec.channels === 1 ? 'grey (colour as BT.601 luma)' : 'RGB'}, resized to ${spec.rows}×${spec.columns} (${spec.resize}); the graph scales intensity${spec.normalize ? ' and standardises' : ''}.`;
}
