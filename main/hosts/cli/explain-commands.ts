/**
 * `loupe explain`: Grad-CAM, Grad-CAM++ or CAM heatmaps of a completed run on a split of its task
 * or on image files (a detection run: one per box; a verification run: one per image of each
 * pair, the task's or `--pairs`), written as PNGs with explain.json through the
 * `explain.write` channel (the engine's explain method, as Review uses). Ctrl+C stops after the
 * current image; what was explained is kept and listed.
 */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  EXPLAIN_FILE,
  EXPLAIN_METHODS,
  SPLITS,
  isLoupeError,
  type ExplainMethodName,
  type ExplainWriteReply,
  type RequestOf,
  type SplitName,
} from '../../../contract/index';
import type { CliContext } from './context';
import { progressLine } from './progress';
import { EXIT_BAD_INPUT, EXIT_SOME_FAILED, fail } from './fail';

const EXIT_INTERRUPTED = 130;
/** Unreadable files printed one per line; beyond this only their count (all are in explain.json). */
const FAILED_LINES_SHOWN = 50;
/** Errors about what the user asked for (exit 2), not about the work. */
const BAD_INPUT_CODES = new Set(['INVALID_REQUEST', 'NOT_FOUND', 'CONFLICT', 'NOT_A_WORKSPACE']);

function method(value: string): ExplainMethodName {
  if (!(EXPLAIN_METHODS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`a method is one of ${EXPLAIN_METHODS.join(', ')}.`);
  return value as ExplainMethodName;
}

function split(value: string): SplitName {
  if (!(SPLITS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`a split is one of ${SPLITS.join(', ')}.`);
  return value as SplitName;
}

interface ExplainOptions {
  workspace: string;
  run: string;
  split?: SplitName;
  images?: string[];
  pairs?: string[];
  method?: ExplainMethodName;
  class?: string;
  layer?: string;
  out: string;
  force?: boolean;
  json?: boolean;
}

const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

function summary(reply: ExplainWriteReply): string {
  const failed = reply.failed.length > 0 ? `, ${reply.failed.length} could not be read` : '';
  if (reply.boxes) {
    const boxes = reply.boxes.reduce((sum, image) => sum + image.boxes.length, 0);
    return `${plural(reply.boxes.length, 'image')} explained with ${reply.method}, ${plural(boxes, 'box', 'boxes')} with a heatmap each${failed}; heatmaps, overlays and ${EXPLAIN_FILE} in ${reply.out}.`;
  }
  if (reply.pairs) {
    const same = reply.pairs.filter((p) => p.same).length;
    const decided = (reply.pairs[0]?.threshold ?? null) === null ? '' : ` (${same} at or above the model's threshold)`;
    return `${plural(reply.pairs.length, 'pair')} explained with ${reply.method}${decided}, a similarity map on each image${failed}; heatmaps, overlays and ${EXPLAIN_FILE} in ${reply.out}.`;
  }
  const n = reply.images.length;
  const whole = reply.images.filter((i) => i.region?.wholeImage).length;
  // Seg-Grad-CAM sums the class over its predicted region; where there is none, over the whole image.
  const wholeNote =
    whole > 0
      ? ` On ${whole} of them the class was predicted nowhere, so its logits were summed over the whole image (region.wholeImage in ${EXPLAIN_FILE}).`
      : '';
  return `${n} image${n === 1 ? '' : 's'} explained with ${reply.method}${failed}; heatmaps, overlays and ${EXPLAIN_FILE} in ${reply.out}.${wholeNote}`;
}

async function explain(cli: CliContext, options: ExplainOptions): Promise<void> {
  const sources = [options.split, options.images, options.pairs].filter((s) => s !== undefined).length;
  if (sources > 1) fail('give one of --split, --images or --pairs.', EXIT_BAD_INPUT, 'loupe.badInput');
  if (options.pairs && options.pairs.length % 2 !== 0)
    fail(`--pairs takes images two by two (A B A B …); got ${options.pairs.length}.`, EXIT_BAD_INPUT, 'loupe.badInput');
  const pairs = (options.pairs ?? []).flatMap((p, i, all) =>
    i % 2 === 0 ? [{ a: path.resolve(p), b: path.resolve(all[i + 1]!) }] : [],
  );
  const request: RequestOf<'explain.write'> = {
    runId: options.run,
    source: options.pairs
      ? { kind: 'pairs', pairs }
      : options.images
        ? { kind: 'files', paths: options.images.map((p) => path.resolve(p)) }
        : { kind: 'split', split: options.split ?? 'test' },
    ...(options.method !== undefined ? { method: options.method } : {}),
    out: path.resolve(options.out),
    force: options.force === true,
    ...(options.class !== undefined ? { className: options.class } : {}),
    ...(options.layer !== undefined ? { targetLayer: options.layer } : {}),
  };
  const bar = progressLine(options.method ? `explain (${options.method})` : 'explain');
  let reply: ExplainWriteReply;
  try {
    await cli.invoke('workspace.open', { path: path.resolve(options.workspace), create: false });
    reply = await cli.invoke('explain.write', request, (p) =>
      bar.update(p.done, p.total, p.failed > 0 ? `(${p.failed} unreadable)` : ''),
    );
  } catch (error) {
    bar.done();
    if (isLoupeError(error) && BAD_INPUT_CODES.has(error.code)) fail(error.message, EXIT_BAD_INPUT, 'loupe.badInput');
    if (isLoupeError(error) && error.code === 'CANCELLED') fail('cancelled.', EXIT_INTERRUPTED, 'loupe.cancelled');
    throw error;
  }
  bar.done();
  for (const { path: file, reason } of reply.failed.slice(0, FAILED_LINES_SHOWN))
    console.error(`failed     ${file}: ${reason}`);
  if (reply.failed.length > FAILED_LINES_SHOWN)
    console.error(`failed     … and ${reply.failed.length - FAILED_LINES_SHOWN} more (all in ${EXPLAIN_FILE})`);
  if (options.json) console.log(JSON.stringify(reply, null, 2));
  else console.log(summary(reply));
  if (reply.cancelled)
    fail(
      `cancelled after ${reply.images.length} image(s); those are listed in ${path.join(reply.out, EXPLAIN_FILE)}.`,
      EXIT_INTERRUPTED,
      'loupe.cancelled',
    );
  if (reply.failed.length > 0)
    fail(
      `${reply.failed.length} file${reply.failed.length === 1 ? '' : 's'} could not be explained; each is listed with its reason in ${path.join(reply.out, EXPLAIN_FILE)}.`,
      EXIT_SOME_FAILED,
      'loupe.someFailed',
    );
}

export function registerExplainCommands(program: Command, context: () => CliContext): void {
  program
    .command('explain')
    .description(
      `Explain a completed run's predictions (segmentation: Seg-Grad-CAM over the class's predicted region; detection: one map per box, from its heatmap logit at its peak; verification: a similarity map on each image of each pair; these three with gradcam, gradcam++ or layercam): per image, box or pair image an 8-bit grey heatmap PNG and an overlay PNG (both at the image's own size) and, in ${EXPLAIN_FILE}, the numbers behind them (classification: the class explained, its probability, the heatmap's peak, deletion/insertion AUC and the randomisation sanity check; detection: box, score, peak; verification: similarity against the model's threshold).`,
    )
    .usage('--workspace W --run RUN [--split test | --images PATH… | --pairs A B …] [options] --out DIR')
    .requiredOption('--workspace <folder>', 'the workspace holding --run')
    .requiredOption('--run <run>', 'a completed classification, segmentation, detection or verification run')
    .option(
      '--split <split>',
      `explain the run task's images of this split: ${SPLITS.join(', ')} (default test)`,
      split,
    )
    .option('--images <paths...>', 'explain these image files and folders (walked recursively) instead of a split')
    .option(
      '--pairs <paths...>',
      "verification: explain these pairs of image files, taken two by two (A B A B …), instead of the task's pairs in a split",
    )
    .option(
      '--method <method>',
      `${EXPLAIN_METHODS.join(' | ')} (default: layercam for a detection run, else gradcam)`,
      method,
    )
    .option('--class <name>', "the class to explain on every image (default: each image's predicted class)")
    .option(
      '--layer <name>',
      "the feature-map layer to explain at (default: the backbone's last; an unknown name lists the model's feature-map layers, and explain.json lists them as layers)",
    )
    .requiredOption('--out <folder>', 'the output folder (new or empty, unless --force)')
    .option('--force', 'write into an output folder that is not empty (files of the same name are replaced)')
    .option('--json', 'print the result (every image with its numbers) as JSON')
    .action(async (options: ExplainOptions) => {
      await explain(context(), options);
    });
}
