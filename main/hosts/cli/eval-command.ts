/**
 * `loupe eval`: a run's model scored on a split of its task, by default the split the run trained
 * with (its snapshot); with --split-source current, the task's split now without the images the
 * run trained on. Writes the `loupe-eval` file (masks as PNG files beside it); what was left out
 * or shares a group with training images is said on stderr as `warning:` lines.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { SPLITS, SPLIT_SOURCES, type SplitName, type SplitSource } from '../../../contract/index';
import { writeFileAtomic } from '../../../base/atomic-write';
import { evaluationFile } from '../../../ml/train/evaluation-file';
import { encodeMaskPng } from '../../services/labels/mask-files';
import type { CliContext } from './context';
import { progressLine } from './progress';
import { openWorkspace } from './training-commands';

function split(value: string): SplitName {
  if (!(SPLITS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`a split is one of ${SPLITS.join(', ')}.`);
  return value as SplitName;
}

function splitSource(value: string): SplitSource {
  if (!(SPLIT_SOURCES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`a split source is one of ${SPLIT_SOURCES.join(', ')}.`);
  return value as SplitSource;
}

export function registerEvalCommand(program: Command, context: () => CliContext): void {
  program
    .command('eval')
    .description(
      "Score a run's model on a split of its task; writes per-image predictions and the metrics as JSON (masks as PNG files beside it).",
    )
    .requiredOption('--workspace <folder>', 'the workspace folder')
    .requiredOption('--run <run>', 'the run whose model to evaluate')
    .option('--split <split>', 'train, val or test', split, 'test')
    .option(
      '--split-source <source>',
      "run: the split the run trained with; current: the task's split now, without the images the run trained on",
      splitSource,
      'run',
    )
    .requiredOption('--out <file>', 'where to write the predictions (JSON)')
    .action(
      async (options: { workspace: string; run: string; split: SplitName; splitSource: SplitSource; out: string }) => {
        const cli = context();
        await openWorkspace(cli, options.workspace);
        const bar = progressLine('eval');
        const result = await cli.invoke(
          'training.evaluate',
          { runId: options.run, split: options.split, splitSource: options.splitSource },
          (p) => bar.update(p.done, p.total),
        );
        bar.done();
        for (const warning of result.leakage.warnings) console.error(`warning: ${warning}`);
        const out = path.resolve(options.out);
        const masksDir = `${out.replace(/\.json$/i, '')}-masks`;
        // A frame of a multi-frame image (task frames 'all') is `<image id>:<frame>`, as in the run's record.
        const idOf = (p: { imageId: number; frame?: number | undefined }): string =>
          p.frame === undefined ? String(p.imageId) : `${p.imageId}:${p.frame}`;
        const paths = new Map(result.predictions.map((p) => [idOf(p), p.path]));
        const masks = new Map<string, string>();
        for (const { imageId, frame, prediction } of result.predictions) {
          if (!('mask' in prediction)) continue;
          // Named by image id (and frame) only: nothing a file says becomes a path.
          const file = path.join(masksDir, `image-${imageId}${frame === undefined ? '' : `-frame-${frame}`}.png`);
          mkdirSync(masksDir, { recursive: true });
          await writeFileAtomic(
            file,
            await encodeMaskPng({ width: prediction.columns, height: prediction.rows, data: prediction.mask }),
          );
          masks.set(idOf({ imageId, frame }), path.relative(path.dirname(out), file));
        }
        // The file names images by their workspace id, as every other command does.
        const reply = {
          report: result.report,
          predictions: result.predictions.map((p) => ({ id: idOf(p), prediction: p.prediction })),
          ...(result.pairs
            ? {
                pairs: result.pairs.map(({ imageA, imageB, ...rest }) => ({
                  a: String(imageA),
                  b: String(imageB),
                  ...rest,
                })),
              }
            : {}),
        };
        const document = evaluationFile(reply, {
          modelDir: path.join(path.resolve(options.workspace), 'runs', result.runId, 'model'),
          runId: result.runId,
          classes: result.dataset.classes,
          split: result.split,
          maskPath: (id) => masks.get(id) ?? null,
          imagePath: (id) => paths.get(id),
        });
        await writeFileAtomic(out, JSON.stringify(document, null, 2));
        const report = result.report;
        const metric =
          report.task === 'classification'
            ? `accuracy ${report.accuracy.toFixed(4)}`
            : report.task === 'segmentation'
              ? `mean Dice ${report.meanDice?.toFixed(4) ?? 'n/a'}`
              : report.task === 'detection'
                ? `mAP@0.5 ${report.mAP50?.toFixed(4) ?? 'n/a'}`
                : report.eer === null
                  ? `EER n/a (${report.genuinePairs} genuine and ${report.impostorPairs} impostor pairs: an EER needs both)`
                  : `EER ${report.eer.toFixed(4)}`;
        const source =
          result.leakage.splitSource === 'run'
            ? 'as the run trained with it'
            : 'as assigned now, without the images the run trained on';
        console.log(`${metric} on ${report.count} ${result.split} image(s) (${source}); predictions in ${out}`);
      },
    );
}
