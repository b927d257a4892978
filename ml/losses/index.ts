/** The built-in losses, registered once when this module loads. */
import type { LossConfig } from '../../contract/index';
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

export { createLoss, registerLoss, type LossDefinition, type LossFunction, type LossTarget } from './registry';
