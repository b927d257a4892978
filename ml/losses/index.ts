/** The built-in losses, registered once when this module loads. */
import type { LossConfig } from '../../contract/index';
import { crossEntropy, focal } from './class-losses';
import { bce, bceDice, crossEntropyDice, softDice } from './mask-losses';
import { registerLoss, type LossDefinition } from './registry';

type Definition<N extends LossConfig['name']> = LossDefinition<Extract<LossConfig, { name: N }>>;

const builtIn = [
  { name: 'cross-entropy', tasks: ['classification', 'segmentation'], create: crossEntropy } satisfies Definition<'cross-entropy'>,
  { name: 'focal', tasks: ['classification', 'segmentation'], create: focal } satisfies Definition<'focal'>,
  { name: 'bce', tasks: ['segmentation'], create: bce } satisfies Definition<'bce'>,
  { name: 'dice', tasks: ['segmentation'], create: (c, t) => softDice(c.smooth, c.includeBackground, t) } satisfies Definition<'dice'>,
  { name: 'bce-dice', tasks: ['segmentation'], create: bceDice } satisfies Definition<'bce-dice'>,
  { name: 'cross-entropy-dice', tasks: ['segmentation'], create: crossEntropyDice } satisfies Definition<'cross-entropy-dice'>,
] as const;

for (const definition of builtIn) registerLoss(definition as LossDefinition<{ name: string }>);

/** A sensible default per task: cross-entropy for classes, BCE + Dice for two-class masks. */
export function defaultLoss(task: 'classification' | 'segmentation', numClasses: number): LossConfig {
  if (task === 'classification') return { name: 'cross-entropy', labelSmoothing: 0 };
  return numClasses === 2 ? { name: 'bce-dice', bceWeight: 1, diceWeight: 1, smooth: 1e-5 } : { name: 'cross-entropy-dice', crossEntropyWeight: 1, diceWeight: 1, smooth: 1e-5 };
}

export { createLoss, registerLoss, registeredLosses, type LossDefinition, type LossFunction, type LossTarget } from './registry';
