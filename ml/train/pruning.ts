/**
 * Magnitude pruning (Zhu & Gupta 2017, "To prune, or not to prune"), as tfmot's prune_low_magnitude
 * with a PolynomialDecay schedule: every `frequency` optimiser steps between the first and last
 * pruning step, each conv/dense kernel's smallest-magnitude weights are masked so that its share
 * of zeros is s_t = s_f + (s_i − s_f)(1 − (t − t0)/(t1 − t0))^power. Masks are per layer (tfmot's
 * default), and are applied after every optimiser step so that pruned weights stay exactly zero
 * while the rest fine-tune. Biases and batch-norm parameters are never pruned.
 */
import * as tf from '@tensorflow/tfjs';
import { LoupeError, type PruneConfig } from '../../contract/index';

/** Of the run's epochs, the share by whose end the target is reached when `endEpoch` is unset. */
const DEFAULT_PRUNING_SHARE = 0.75;

/** Which optimiser steps prune, counted from 0 at the run's first batch. */
export interface PruningSteps {
  beginStep: number;
  /** The last batch of epoch endEpoch − 1: the target holds from here on. */
  endStep: number;
  endEpoch: number;
}

export function pruningSteps(prune: PruneConfig, epochs: number, batchesPerEpoch: number): PruningSteps {
  const endEpoch = prune.endEpoch ?? Math.max(prune.startEpoch + 1, Math.ceil(epochs * DEFAULT_PRUNING_SHARE));
  if (prune.startEpoch >= epochs || endEpoch > epochs) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `Pruning from epoch ${prune.startEpoch} to ${endEpoch} does not fit a run of ${epochs} epochs; start earlier or train longer.`,
    );
  }
  return { beginStep: prune.startEpoch * batchesPerEpoch, endStep: endEpoch * batchesPerEpoch - 1, endEpoch };
}

/** tfmot's PolynomialDecay sparsity at `step` (constant before the start and after the end). */
export function polynomialSparsity(prune: PruneConfig, steps: PruningSteps, step: number): number {
  const span = steps.endStep - steps.beginStep;
  const progress = span <= 0 ? (step >= steps.endStep ? 1 : 0) : (step - steps.beginStep) / span;
  const p = Math.min(1, Math.max(0, progress));
  return prune.targetSparsity + (prune.initialSparsity - prune.targetSparsity) * (1 - p) ** prune.power;
}

/**
 * Whether the masks are updated after `step`: tfmot's rule (in range, every `frequency` steps
 * from the start), plus the end step itself so that the target is reached exactly whatever the
 * frequency.
 */
export function isPruningStep(prune: PruneConfig, steps: PruningSteps, step: number): boolean {
  if (step < steps.beginStep || step > steps.endStep) return false;
  return step === steps.endStep || (step - steps.beginStep) % prune.frequency === 0;
}

/** Conv and dense kernels (conv `kernel`, depthwise and pointwise kernels); nested models included. */
export function prunableKernels(model: tf.LayersModel): tf.LayerVariable[] {
  const kernels: tf.LayerVariable[] = [];
  const visit = (layer: tf.layers.Layer): void => {
    if (layer instanceof tf.LayersModel) {
      layer.layers.forEach(visit);
      return;
    }
    for (const weight of layer.weights) if (/kernel$/.test(weight.originalName)) kernels.push(weight);
  };
  model.layers.forEach(visit);
  return kernels;
}

/** The number of entries zeroed in a kernel of `size` at `sparsity` (tfmot rounds the kept count). */
export function zerosFor(size: number, sparsity: number): number {
  return size - Math.round(size * (1 - sparsity));
}

/**
 * A mask with exactly `zeros` entries at 0: the smallest magnitudes, ties at the threshold broken
 * by position. A typed-array sort of the magnitudes finds the threshold (kernels reach millions of weights).
 */
export function smallestMasked(values: ArrayLike<number>, zeros: number): Float32Array {
  const mask = new Float32Array(values.length).fill(1);
  if (zeros <= 0) return mask;
  const magnitudes = Float32Array.from(values, Math.abs).sort();
  const threshold = magnitudes[zeros - 1]!;
  let below = 0;
  // Compared at float32 precision, as the sorted magnitudes are stored.
  const magnitudeAt = (i: number): number => Math.fround(Math.abs(values[i]!));
  for (let i = 0; i < values.length; i++) if (magnitudeAt(i) < threshold) below++;
  let tiesToMask = zeros - below;
  for (let i = 0; i < values.length; i++) {
    const magnitude = magnitudeAt(i);
    if (magnitude < threshold) mask[i] = 0;
    else if (magnitude === threshold && tiesToMask > 0) {
      mask[i] = 0;
      tiesToMask--;
    }
  }
  return mask;
}

export class Pruner {
  private readonly masks: tf.Tensor[];

  private constructor(
    readonly config: PruneConfig,
    readonly steps: PruningSteps,
    private readonly kernels: tf.LayerVariable[],
  ) {
    // Weights already exactly zero stay pruned: a resumed run, or a source that was pruned before.
    this.masks = kernels.map((k) => tf.tidy(() => tf.notEqual(k.read(), 0).toFloat()));
  }

  static open(model: tf.LayersModel, config: PruneConfig, epochs: number, batchesPerEpoch: number): Pruner {
    const kernels = prunableKernels(model);
    if (kernels.length === 0)
      throw new LoupeError('INVALID_REQUEST', 'This model has no convolution or dense kernels to prune.');
    return new Pruner(config, pruningSteps(config, epochs, batchesPerEpoch), kernels);
  }

  /** After the optimiser step `step`: new masks on a pruning step, then the masks applied. */
  async afterStep(step: number): Promise<void> {
    if (isPruningStep(this.config, this.steps, step))
      await this.updateMasks(polynomialSparsity(this.config, this.steps, step));
    this.applyMasks();
  }

  /** True once the epoch ends at the target sparsity, so its weights may count as the run's best. */
  reachedTarget(epoch: number): boolean {
    return epoch >= this.steps.endEpoch - 1;
  }

  /** The fraction of exact zeros over all pruned kernels. */
  async measuredSparsity(): Promise<number> {
    let zeros = 0;
    let total = 0;
    for (const kernel of this.kernels) {
      const values = await kernel.read().data();
      for (const v of values) if (v === 0) zeros++;
      total += values.length;
    }
    return total > 0 ? zeros / total : 0;
  }

  dispose(): void {
    tf.dispose(this.masks);
  }

  private async updateMasks(sparsity: number): Promise<void> {
    for (const [index, kernel] of this.kernels.entries()) {
      const values = await kernel.read().data();
      const zeros = zerosFor(values.length, sparsity);
      const mask = smallestMasked(values, zeros);
      this.masks[index]!.dispose();
      this.masks[index] = tf.tensor(mask, kernel.read().shape);
    }
  }

  private applyMasks(): void {
    tf.tidy(() => {
      for (const [index, kernel] of this.kernels.entries()) kernel.write(tf.mul(kernel.read(), this.masks[index]!));
    });
  }
}
