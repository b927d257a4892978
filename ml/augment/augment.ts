/**
 * One random augmentation of a training sample: image, mask and boxes move together. The random
 * stream is the caller's (seeded per run, epoch and sample), so a sample's augmentation is the
 * same in an uninterrupted run and in a resumed one.
 */
import type { AugmentConfig } from '../../contract/index';
import type { SeededRandom } from '../data/random';
import { applyIntensity } from './intensity';
import { composeAffine, elasticField, isIdentity, warpBoxes, warpImage, warpMask, type Box } from './spatial';

export interface AugmentSample {
  /** rows × columns × channels, values scaled to [0, 1]. */
  image: Float32Array;
  rows: number;
  columns: number;
  channels: number;
  mask?: Uint8Array;
  boxes?: Box[];
}

export function isAugmenting(config: AugmentConfig): boolean {
  return (
    config.flipHorizontal > 0 ||
    config.flipVertical > 0 ||
    config.rotationDegrees > 0 ||
    config.scale > 0 ||
    config.shift > 0 ||
    config.brightness > 0 ||
    config.contrast > 0 ||
    config.gamma > 0 ||
    config.noiseStd > 0 ||
    (config.elastic !== undefined && config.elastic.probability > 0)
  );
}

/** Returns a new sample (the input is never modified); the same input when nothing is on. */
export function augmentSample(sample: AugmentSample, config: AugmentConfig, rng: SeededRandom): AugmentSample {
  if (!isAugmenting(config)) return sample;
  const { rows, columns, channels } = sample;
  // Every draw happens whether or not its effect is on, in a fixed order: a setting changes only its own effect.
  const affine = composeAffine({
    flipX: rng.chance(config.flipHorizontal),
    flipY: rng.chance(config.flipVertical),
    degrees: rng.uniform(-config.rotationDegrees, config.rotationDegrees),
    scale: rng.uniform(1 - config.scale, 1 + config.scale),
    shiftX: rng.uniform(-config.shift, config.shift) * columns,
    shiftY: rng.uniform(-config.shift, config.shift) * rows,
  });
  const useElastic = config.elastic !== undefined && rng.chance(config.elastic.probability) && !sample.boxes?.length;
  const field =
    useElastic && config.elastic
      ? elasticField(rows, columns, config.elastic.alpha, config.elastic.sigma, () => rng.next())
      : undefined;
  const gammaLimit = Math.log(1 + config.gamma);
  const intensity = {
    gamma: Math.exp(rng.uniform(-gammaLimit, gammaLimit)),
    contrast: rng.uniform(1 - config.contrast, 1 + config.contrast),
    brightness: rng.uniform(-config.brightness, config.brightness),
    noiseStd: config.noiseStd,
  };
  const spatial = !isIdentity(affine) || field !== undefined;
  const image = spatial ? warpImage(sample.image, rows, columns, channels, affine, field) : sample.image.slice();
  applyIntensity(image, intensity, rng);
  const out: AugmentSample = { image, rows, columns, channels };
  if (sample.mask) out.mask = spatial ? warpMask(sample.mask, rows, columns, affine, field) : sample.mask;
  if (sample.boxes) out.boxes = isIdentity(affine) ? sample.boxes : warpBoxes(sample.boxes, rows, columns, affine);
  return out;
}
