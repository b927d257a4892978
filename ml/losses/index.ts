/** The built-in losses, registered once when this module loads. */
import type { LossConfig, TaskKind } from '../../contract/index';
import { crossEntropy, focal } from './class-losses';
import { bce, bceDice, crossEntropyDice, softDice } from './mask-losses';
import { batchHardTriplet, centerNet, contrastive } from './pair-and-box-losses';
import { registerLoss, type LossDefinition } from './registry';

type Definition<N extends LossConfig['name']> = LossDefinition<Extract<LossConfig, { name: N }>>;

const builtIn = [
  {
    name: 'cross-entropy',
    tasks: ['classification', 'segmentation'],
    create: crossEntropy,
  } satisfies Definition<'cross-entropy'>,
  { name: 'focal', tasks: ['classification', 'segmentation'], create: focal } satisfies Definition<'focal'>,
  { name: 'bce', tasks: ['segmentation'], create: bce } satisfies Definition<'bce'>,
  {
    name: 'dice',
    tasks: ['segmentation'],
    create: (c, t) => softDice(c.smooth, c.includeBackground, t),
  } satisfies Definition<'dice'>,
  { name: 'bce-dice', tasks: ['segmentation'], create: bceDice } satisfies Definition<'bce-dice'>,
  {
    name: 'cross-entropy-dice',
    tasks: ['segmentation'],
    create: crossEntropyDice,
  } satisfies Definition<'cross-entropy-dice'>,
  { name: 'centernet', tasks: ['detection'], create: centerNet } satisfies Definition<'centernet'>,
  { name: 'contrastive', tasks: ['verification'], create: contrastive } satisfies Definition<'contrastive'>,
  {
    name: 'batch-hard-triplet',
    tasks: ['verification'],
    create: batchHardTriplet,
  } satisfies Definition<'batch-hard-triplet'>,
] as const;

for (const definition of builtIn) registerLoss(definition as LossDefinition<{ name: string }>);

/**
 * A sensible default per task: cross-entropy for classes, BCE + Dice for two-class masks,
 * CenterNet's for boxes, batch-hard triplet for verification.
 */
export function defaultLoss(task: TaskKind, numClasses: number): LossConfig {
  if (task === 'classification') return { name: 'cross-entropy', labelSmoothing: 0 };
  if (task === 'detection') return { name: 'centernet', sizeLoss: 'l1', offsetWeight: 1 };
  if (task === 'verification') return { name: 'batch-hard-triplet', margin: 0.2 };
  return numClasses === 2
    ? { name: 'bce-dice', bceWeight: 1, diceWeight: 1, smooth: 1e-5 }
    : { name: 'cross-entropy-dice', crossEntropyWeight: 1, diceWeight: 1, smooth: 1e-5 };
}

export {
  createLoss,
  registerLoss,
  registeredLosses,
  type LossDefinition,
  type LossFunction,
  type LossTarget,
} from './registry';
