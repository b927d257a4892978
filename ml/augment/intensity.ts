/** Intensity augmentation of images scaled to [0, 1]; masks and boxes are not touched by these. */
import type { SeededRandom } from '../data/random';

export interface IntensityParams {
  gamma: number;
  contrast: number;
  brightness: number;
  noiseStd: number;
}

/** Gamma, then contrast about the image mean, then brightness, then Gaussian noise; in place. */
export function applyIntensity(image: Float32Array, p: IntensityParams, rng: SeededRandom): void {
  if (p.gamma !== 1) for (let i = 0; i < image.length; i++) image[i] = Math.max(0, image[i]!) ** p.gamma;
  if (p.contrast !== 1) {
    let mean = 0;
    for (const v of image) mean += v;
    mean /= image.length;
    for (let i = 0; i < image.length; i++) image[i] = (image[i]! - mean) * p.contrast + mean;
  }
  if (p.brightness !== 0) for (let i = 0; i < image.length; i++) image[i]! += p.brightness;
  if (p.noiseStd > 0) for (let i = 0; i < image.length; i++) image[i]! += p.noiseStd * rng.gaussian();
}
