import { describe, expect, it } from 'vitest';
import { augmentConfigSchema } from '../../contract/index';
import { SeededRandom } from '../data/random';
import { augmentSample, type AugmentSample } from './augment';
import { composeAffine, warpBoxes, warpImage, warpMask } from './spatial';

const config = (input: object) => augmentConfigSchema.parse(input);

/** An 8×8 image whose value is 1 exactly on an L-shaped mask (class 2), so both must move together. */
function lShape(): AugmentSample {
  const rows = 8;
  const columns = 8;
  const mask = new Uint8Array(rows * columns);
  for (let y = 1; y < 6; y++) mask[y * columns + 1] = 2;
  for (let x = 1; x < 5; x++) mask[5 * columns + x] = 2;
  const image = Float32Array.from(mask, (v) => (v ? 1 : 0));
  return { image, rows, columns, channels: 1, mask, boxes: [{ x: 1, y: 1, width: 4, height: 5, label: 3 }] };
}

describe('augmentation', () => {
  it('flips image, mask and boxes together', () => {
    const out = augmentSample(lShape(), config({ flipHorizontal: 1 }), new SeededRandom(1));
    for (let i = 0; i < 64; i++) expect(out.image[i]! > 0.5).toBe(out.mask![i] === 2);
    expect(out.mask![1 * 8 + 6]).toBe(2);
    expect(out.boxes).toEqual([{ x: 3, y: 1, width: 4, height: 5, label: 3 }]);
  });

  it('rotates by 90° exactly, counter-clockwise on screen, with boxes following', () => {
    const sample = lShape();
    const m = composeAffine({ flipX: false, flipY: false, degrees: 90, scale: 1, shiftX: 0, shiftY: 0 });
    const mask = warpMask(sample.mask!, 8, 8, m);
    // Pixel (x=1, y=1) goes to (x=1, y=6) under a counter-clockwise quarter turn about the centre.
    expect(mask[6 * 8 + 1]).toBe(2);
    const image = warpImage(sample.image, 8, 8, 1, m);
    for (let i = 0; i < 64; i++) expect(image[i]!).toBeCloseTo(mask[i] ? 1 : 0, 5);
    const [box] = warpBoxes(sample.boxes!, 8, 8, m);
    expect(box!.x).toBeCloseTo(1, 6);
    expect(box!.y).toBeCloseTo(3, 6);
    expect(box!.width).toBeCloseTo(5, 6);
    expect(box!.height).toBeCloseTo(4, 6);
  });

  it('keeps image and mask aligned under random rotation, scale, shift and elastic deformation', () => {
    const rng = new SeededRandom(5);
    const c = config({ rotationDegrees: 30, scale: 0.2, shift: 0.1, elastic: { probability: 1, alpha: 2, sigma: 2 } });
    for (let trial = 0; trial < 5; trial++) {
      const out = augmentSample(lShape(), c, rng);
      let disagree = 0;
      for (let i = 0; i < 64; i++) if (out.image[i]! > 0.5 !== (out.mask![i] === 2)) disagree++;
      // Bilinear and nearest sampling differ only on the shape's border.
      expect(disagree).toBeLessThanOrEqual(4);
      // Elastic deformation is skipped for samples with boxes (it would bend them).
      expect(out.boxes).toBeDefined();
    }
  });

  it('is reproducible from the seed, and leaves its input alone', () => {
    const c = config({
      flipHorizontal: 0.5,
      rotationDegrees: 20,
      brightness: 0.1,
      contrast: 0.2,
      gamma: 0.3,
      noiseStd: 0.05,
    });
    const input = lShape();
    const copy = input.image.slice();
    const a = augmentSample(input, c, new SeededRandom(77));
    const b = augmentSample(input, c, new SeededRandom(77));
    const other = augmentSample(input, c, new SeededRandom(78));
    expect(a.image).toEqual(b.image);
    expect(a.image).not.toEqual(other.image);
    expect(input.image).toEqual(copy);
  });

  it('changes intensity only where asked: brightness shifts, contrast keeps the mean, masks untouched', () => {
    const { boxes: _, ...sample } = lShape();
    const bright = augmentSample(sample, config({ brightness: 0.5 }), new SeededRandom(2));
    const shift = bright.image[0]! - sample.image[0]!;
    expect(Math.abs(shift)).toBeGreaterThan(0);
    bright.image.forEach((v, i) => expect(v - sample.image[i]!).toBeCloseTo(shift, 6));
    expect(bright.mask).toBe(sample.mask);
    const contrast = augmentSample(sample, config({ contrast: 0.5 }), new SeededRandom(3));
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(contrast.image)).toBeCloseTo(mean(sample.image), 5);
    expect(augmentSample(sample, config({}), new SeededRandom(1))).toBe(sample);
  });
  it('applies gamma as out = in^γ with γ drawn from [1/(1+g), 1+g], both sides of 1', () => {
    const rows = 4;
    const columns = 8;
    const image = Float32Array.from({ length: rows * columns }, (_, i) => (i + 1) / (rows * columns));
    const mask = new Uint8Array(rows * columns).fill(1);
    const g = 1;
    const gammas: number[] = [];
    const rng = new SeededRandom(11);
    for (let trial = 0; trial < 20; trial++) {
      const out = augmentSample({ image, rows, columns, channels: 1, mask }, config({ gamma: g }), rng);
      // γ from one pixel, then every other pixel must follow the same power law.
      const gamma = Math.log(out.image[0]!) / Math.log(image[0]!);
      expect(gamma).toBeGreaterThanOrEqual(1 / (1 + g) - 1e-6);
      expect(gamma).toBeLessThanOrEqual(1 + g + 1e-6);
      image.forEach((v, i) => expect(out.image[i]!).toBeCloseTo(v ** gamma, 5));
      expect(out.image[image.length - 1]).toBeCloseTo(1, 6);
      expect(out.mask).toBe(mask);
      gammas.push(gamma);
    }
    expect(Math.min(...gammas)).toBeLessThan(0.8);
    expect(Math.max(...gammas)).toBeGreaterThan(1.25);
  });

  it('adds zero-mean Gaussian noise with the configured std, leaving mask and boxes alone', () => {
    const rows = 64;
    const columns = 64;
    const n = rows * columns;
    const image = new Float32Array(n).fill(0.5);
    const mask = new Uint8Array(n).fill(1);
    const boxes = [{ x: 2, y: 3, width: 10, height: 12, label: 1 }];
    const std = 0.1;
    const out = augmentSample(
      { image, rows, columns, channels: 1, mask, boxes },
      config({ noiseStd: std }),
      new SeededRandom(4),
    );
    let sum = 0;
    for (const v of out.image) sum += v - 0.5;
    const mean = sum / n;
    let sq = 0;
    for (const v of out.image) sq += (v - 0.5 - mean) ** 2;
    // n = 4096 draws: the mean's standard error is std/64 ≈ 0.0016, the std's ≈ std/90.
    expect(Math.abs(mean)).toBeLessThan(0.006);
    expect(Math.sqrt(sq / (n - 1))).toBeCloseTo(std, 2);
    expect(out.mask).toBe(mask);
    expect(out.boxes).toBe(boxes);
    expect(image.every((v) => v === 0.5)).toBe(true);
  });
});
