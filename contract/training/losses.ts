/**
 * The one declaration of a loss: its name and options, for every task kind. ml/losses builds
 * the function from it; the UI, the CLI and the run record name it with these types.
 */
import { z } from 'zod';

/** Losses by name; each takes the model's logits. */
export const lossConfigSchema = z.discriminatedUnion('name', [
  z
    .object({
      name: z.literal('cross-entropy'),
      /** Per-class weights (length = number of classes), as torch.nn.CrossEntropyLoss(weight=…). */
      classWeights: z.array(z.number().nonnegative()).optional(),
      /** Target smoothing ε: one-hot becomes (1-ε)·onehot + ε/K. */
      labelSmoothing: z.number().min(0).max(0.5).default(0),
    })
    .strict(),
  z
    .object({
      name: z.literal('focal'),
      /** Focusing γ of Lin et al. 2017; 2 in the paper. */
      gamma: z.number().min(0).max(10).default(2),
      /** Per-class α weights; none = 1 for every class. */
      alpha: z.array(z.number().nonnegative()).optional(),
    })
    .strict(),
  z
    .object({
      name: z.literal('bce'),
      /** Weight of positive pixels/samples (torch's pos_weight), for rare foreground. */
      positiveWeight: z.number().positive().default(1),
    })
    .strict(),
  z
    .object({
      name: z.literal('dice'),
      /** Added to numerator and denominator (MONAI smooth_nr/smooth_dr) so empty masks stay finite. */
      smooth: z.number().nonnegative().default(1e-5),
      includeBackground: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      name: z.literal('bce-dice'),
      bceWeight: z.number().nonnegative().default(1),
      diceWeight: z.number().nonnegative().default(1),
      smooth: z.number().nonnegative().default(1e-5),
    })
    .strict(),
  z
    .object({
      name: z.literal('cross-entropy-dice'),
      crossEntropyWeight: z.number().nonnegative().default(1),
      diceWeight: z.number().nonnegative().default(1),
      smooth: z.number().nonnegative().default(1e-5),
    })
    .strict(),
  /**
   * Detection (CenterNet): penalty-reduced focal loss on the centre heatmaps, plus the box size
   * (L1 on width/height, or 1 − GIoU of the boxes) and the L1 centre-offset loss.
   */
  z
    .object({
      name: z.literal('centernet'),
      sizeLoss: z.enum(['l1', 'giou']).default('l1'),
      /** Weight of the size term; unset: 0.1 for L1 (CenterNet's λ_size), 1 for GIoU. */
      sizeWeight: z.number().nonnegative().optional(),
      /** Weight of the offset term (CenterNet's λ_off). */
      offsetWeight: z.number().nonnegative().default(1),
    })
    .strict(),
  /**
   * Verification: contrastive loss (Hadsell et al. 2006) over every known pair of a batch: same
   * pairs pulled together, different pairs pushed beyond `margin` (Euclidean distance between unit
   * embeddings, 0…2); the two kinds are averaged separately so the many different pairs do not
   * swamp the few same ones.
   */
  z.object({ name: z.literal('contrastive'), margin: z.number().positive().max(2).default(1) }).strict(),
  /**
   * Verification: batch-hard triplet loss (Hermans et al. 2017): each image's farthest same and
   * nearest different image in its batch. Needs identities (P identities × K images per batch).
   */
  z.object({ name: z.literal('batch-hard-triplet'), margin: z.number().positive().max(2).default(0.2) }).strict(),
]);
export type LossConfig = z.output<typeof lossConfigSchema>;
export type LossName = LossConfig['name'];
