/**
 * Model compression as training options: magnitude pruning with Zhu & Gupta's polynomial
 * sparsity schedule, and knowledge distillation from a completed run (Hinton et al. 2015).
 */
import { z } from 'zod';
import { absolutePathSchema } from '../common';

/** The exponent of the polynomial schedule (Zhu & Gupta 2017 and tfmot's PolynomialDecay use 3). */
export const DEFAULT_PRUNING_POWER = 3;
/** Mask updates every this many optimiser steps unless the config says otherwise. */
export const DEFAULT_PRUNING_FREQUENCY = 10;

/**
 * Magnitude pruning of conv and dense kernels (never biases or batch-norm), per layer as tfmot's
 * default: each kernel loses its smallest-|w| fraction. Sparsity rises from `initialSparsity`
 * at the first batch of `startEpoch` to `targetSparsity` at the last batch of epoch `endEpoch - 1`;
 * the epochs after that fine-tune at the target with the masks held.
 */
export const pruneConfigSchema = z
  .object({
    targetSparsity: z.number().gt(0).lt(1),
    initialSparsity: z.number().min(0).lt(1).default(0),
    /** 0-based epoch where pruning starts. */
    startEpoch: z.number().int().min(0).default(0),
    /** Epochs before which the target is reached (exclusive); unset: three quarters of the run. */
    endEpoch: z.number().int().min(1).optional(),
    /** Optimiser steps between mask updates (tfmot's frequency). */
    frequency: z.number().int().min(1).default(DEFAULT_PRUNING_FREQUENCY),
    power: z.number().positive().default(DEFAULT_PRUNING_POWER),
  })
  .strict()
  .refine((p) => p.initialSparsity < p.targetSparsity, {
    message: 'The initial sparsity must be below the target sparsity.',
  })
  .refine((p) => p.endEpoch === undefined || p.endEpoch > p.startEpoch, {
    message: 'Pruning must end after it starts (endEpoch > startEpoch).',
  });
export type PruneConfig = z.output<typeof pruneConfigSchema>;

/** Hinton et al.'s temperature and soft-target weight when the config leaves them out. */
export const DEFAULT_DISTILL_TEMPERATURE = 4;
export const DEFAULT_DISTILL_ALPHA = 0.5;

/**
 * Knowledge distillation: loss = α·T²·KL(softmax(teacher/T) ‖ softmax(student/T)) + (1−α)·(the
 * run's loss on the labels). Classification only. The services resolve `teacherRunId` to the
 * teacher's model folder (`teacherDir`) after checking it completed; the engine loads that folder.
 */
export const distillConfigSchema = z
  .object({
    teacherRunId: z.string().regex(/^run-\d{8}-\d{6}-[0-9a-f]{4}$/, 'A run id looks like run-20250101-093000-1a2b.'),
    teacherDir: absolutePathSchema.optional(),
    temperature: z.number().positive().max(100).default(DEFAULT_DISTILL_TEMPERATURE),
    alpha: z.number().min(0).max(1).default(DEFAULT_DISTILL_ALPHA),
  })
  .strict();
export type DistillConfig = z.output<typeof distillConfigSchema>;
