/**
 * `loupe feature-maps`: one layer's feature maps of a completed run's model on an image file,
 * and its first convolution's filters, written as PNGs with feature-maps.json through the
 * `explain.featureMaps` channel (the engine's featureMaps method, as the Review section's Layers
 * panel uses).
 */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  DEFAULT_FEATURE_MAP_CHANNELS,
  FEATURE_MAPS_FILE,
  MAX_FEATURE_MAP_CHANNELS,
  isLoupeError,
  type ReplyOf,
} from '../../../contract/index';
import type { CliContext } from './context';
import { EXIT_BAD_INPUT, fail } from './fail';

const EXIT_INTERRUPTED = 130;
/** Errors about what the user asked for (exit 2), not about the work. */
const BAD_INPUT_CODES = new Set(['INVALID_REQUEST', 'NOT_FOUND', 'CONFLICT', 'NOT_A_WORKSPACE', 'BAD_IMAGE']);

interface FeatureMapsOptions {
  workspace: string;
  run: string;
  image: string;
  layer?: string;
  channels: number;
  out: string;
  force?: boolean;
  json?: boolean;
}

function channelCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_FEATURE_MAP_CHANNELS)
    throw new InvalidArgumentError(`give a whole number of channels from 1 to ${MAX_FEATURE_MAP_CHANNELS}.`);
  return n;
}

function summary(reply: ReplyOf<'explain.featureMaps'>): string {
  const of = reply.count < reply.total ? `the first ${reply.count} of ${reply.total}` : `all ${reply.total}`;
  const filters = reply.filters
    ? `; ${reply.filters.count} filters of ${reply.filters.layer} in ${reply.filters.file}`
    : '; the model has no plain convolution, so no filters';
  return `Layer ${reply.layer}: ${of} channels (${reply.columns}×${reply.rows}) in ${reply.grid} and ${reply.channels.length} channel PNGs${filters}; ${FEATURE_MAPS_FILE} in ${reply.out}.`;
}

async function featureMaps(cli: CliContext, options: FeatureMapsOptions): Promise<void> {
  let reply: ReplyOf<'explain.featureMaps'>;
  try {
    await cli.invoke('workspace.open', { path: path.resolve(options.workspace), create: false });
    reply = await cli.invoke('explain.featureMaps', {
      runId: options.run,
      image: path.resolve(options.image),
      maxChannels: options.channels,
      out: path.resolve(options.out),
      force: options.force === true,
      ...(options.layer === undefined ? {} : { layer: options.layer }),
    });
  } catch (error) {
    if (isLoupeError(error) && BAD_INPUT_CODES.has(error.code)) fail(error.message, EXIT_BAD_INPUT, 'loupe.badInput');
    if (isLoupeError(error) && error.code === 'CANCELLED') fail('cancelled.', EXIT_INTERRUPTED, 'loupe.cancelled');
    throw error;
  }
  console.log(options.json ? JSON.stringify(reply, null, 2) : summary(reply));
}

export function registerFeatureMapsCommand(program: Command, context: () => CliContext): void {
  program
    .command('feature-maps')
    .description(
      `Show what a completed classification or segmentation run's model computes inside: one layer's feature maps on an image file as a grid PNG and one 8-bit grey PNG per channel (each scaled by its own minimum and maximum, listed in ${FEATURE_MAPS_FILE}), and the first convolution's filters as a grid (grey for one input channel, RGB for three).`,
    )
    .usage('--workspace W --run RUN --image FILE [--layer NAME] [--channels N] --out DIR')
    .requiredOption('--workspace <folder>', 'the workspace holding --run')
    .requiredOption('--run <run>', 'a completed classification or segmentation run')
    .requiredOption('--image <file>', 'the image file to run the model on (its first frame)')
    .option(
      '--layer <name>',
      `the feature-map layer (default: the backbone's last; an unknown name lists the model's feature-map layers, and ${FEATURE_MAPS_FILE} lists them as layers)`,
    )
    .option(
      '--channels <n>',
      `how many channels to write, the layer's first ones (at most ${MAX_FEATURE_MAP_CHANNELS})`,
      channelCount,
      DEFAULT_FEATURE_MAP_CHANNELS,
    )
    .requiredOption('--out <folder>', 'the output folder (new or empty, unless --force)')
    .option('--force', 'write into an output folder that is not empty (files of the same name are replaced)')
    .option('--json', 'print the result as JSON')
    .action(async (options: FeatureMapsOptions) => {
      await featureMaps(context(), options);
    });
}
