/**
 * `loupe train` and `loupe runs` (`loupe eval`: eval-command.ts): training runs from the command line through the
 * same channels as the Train section. A run started here trains in this process's engine; Ctrl+C
 * cancels it at the end of the current batch (it can be resumed with --resume), a second Ctrl+C
 * leaves at once (the run is then interrupted, and resumes from its last finished epoch).
 */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  LoupeError,
  TASK_FRAMES,
  TASK_KINDS,
  isLoupeError,
  type DatasetReport,
  type RunSummary,
  type TaskFrames,
  type TaskKind,
  type TrainingThreads,
} from '../../../contract/index';
import type { CliContext } from './context';
import {
  addCompressionOptions,
  compressionLines,
  withCompression,
  type CompressionOptions,
} from './compression-options';
import { freezeCount, learningRateFactor, withFineTune, type FineTuneOptions } from './fine-tune-options';
import { progressLine } from './progress';
import { readConfigFile } from './run-config';
import { epochLine, progressText } from './training-progress';
import { EXIT_BAD_INPUT, fail } from './fail';

/** Exit codes: 1 the run failed, 2 bad input (as cli.ts), 130 stopped by Ctrl+C (128 + SIGINT, as shells report it). */
const EXIT_FAILED = 1;
const EXIT_INTERRUPTED = 130;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('give a whole number of at least 1.');
  return n;
}

function threads(value: string): TrainingThreads {
  if (value === 'auto') return 'auto';
  if (value === '1' || value === '2') return Number(value) as 1 | 2;
  throw new InvalidArgumentError('threads is 1, 2 or auto.');
}

function taskFrames(value: string): TaskFrames {
  if (!(TASK_FRAMES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`frames is one of ${TASK_FRAMES.join(', ')}.`);
  return value as TaskFrames;
}

/**
 * `--kind`: what to train when it is not the task's kind. Only a known kind passes here; whether
 * the task can train it (a classification task as a verifier) is the service's answer.
 */
function trainingKind(value: string): TaskKind {
  if (!(TASK_KINDS as readonly string[]).includes(value)) {
    fail(
      `--kind is one of ${TASK_KINDS.join(', ')} (verification on a classification task trains a verifier whose identities are its classes).`,
      EXIT_BAD_INPUT,
      'loupe.badInput',
    );
  }
  return value as TaskKind;
}

/** What a verification dataset holds, in a line. */
function verificationLine(report: NonNullable<DatasetReport['verification']>): string {
  if (report.identities) {
    const { train, val, test } = report.identities;
    const shared = report.sharedIdentities ? `; ${report.sharedIdentities} with images in more than one split` : '';
    return `identities: ${train} train, ${val} val, ${test} test${shared}`;
  }
  const { same, different } = report.pairs!;
  return `labelled pairs (same/different): train ${same.train}/${different.train}, val ${same.val}/${different.val}, test ${same.test}/${different.test}`;
}

export async function openWorkspace(cli: CliContext, folder: string): Promise<void> {
  await cli.invoke('workspace.open', { path: path.resolve(folder), create: false });
}

async function taskId(cli: CliContext, nameOrId: string): Promise<number> {
  const { tasks } = await cli.invoke('labels.tasks', {});
  const task =
    tasks.find((t) => t.name.toLowerCase() === nameOrId.toLowerCase()) ?? tasks.find((t) => String(t.id) === nameOrId);
  if (!task)
    throw new LoupeError(
      'NOT_FOUND',
      `There is no task "${nameOrId}" (tasks: ${tasks.map((t) => t.name).join(', ') || 'none'}).`,
    );
  return task.id;
}

function headline(run: RunSummary): string {
  const test = run.test ? `test ${run.test.metric} ${run.test.value.toFixed(4)}` : 'no test split';
  const best = run.best ? `, best ${run.best.metric} ${run.best.value.toFixed(4)} at epoch ${run.best.epoch + 1}` : '';
  return `${run.runId} ${run.state}: ${run.epochsDone}/${run.epochs} epochs, ${test}${best}${engineText(run)}`;
}

/** "; onednn on AMD EPYC 7B13 (2 cores), 2 threads, 812.5 images/s": what trained the run, and how fast. */
function engineText(run: RunSummary): string {
  if (!run.engine) return '';
  const { backend, device, trainImagesPerSecond } = run.engine;
  const threads = run.threads ? `, ${run.threads} thread${run.threads === 1 ? '' : 's'}` : '';
  const speed = trainImagesPerSecond === null ? '' : `, ${trainImagesPerSecond.toFixed(1)} images/s`;
  return `; ${backend}${device ? ` on ${device}` : ''}${threads}${speed}`;
}

/** Follows a run to its end with a progress bar; the first Ctrl+C cancels it, the second leaves. */
async function follow(cli: CliContext, run: RunSummary, workspace: string): Promise<RunSummary> {
  const bar = progressLine('train');
  const out = process.stderr;
  let interrupted = false;
  const onInterrupt = (): void => {
    if (interrupted) {
      bar.done();
      console.error(
        `loupe: left without waiting; ${run.runId} resumes from its last finished epoch with: loupe train --workspace ${workspace} --resume ${run.runId}`,
      );
      process.exit(EXIT_INTERRUPTED);
    }
    interrupted = true;
    bar.done();
    console.error(`Cancelling ${run.runId} at the end of this batch… (Ctrl+C again to leave at once)`);
    void cli.invoke('training.cancel', { runId: run.runId }).catch(() => {});
  };
  process.on('SIGINT', onInterrupt);
  let metricName: string | null = null;
  try {
    for (;;) {
      try {
        return await cli.invoke('training.watch', { runId: run.runId }, (p) => {
          if (p.metric) metricName = p.metric.name;
          if (p.epochRecord) {
            bar.done();
            out.write(`${epochLine(p.epochRecord, p.epochs, metricName)}\n`);
          } else if (out.isTTY) {
            out.write(`\r${progressText(p).slice(0, (out.columns ?? 100) - 1)}\x1b[K`);
          }
        });
      } catch (error) {
        // Ctrl+C also stops this process's calls (cli.ts); the run itself stops at a batch boundary: wait for it.
        if (interrupted && isLoupeError(error) && error.code === 'CANCELLED') continue;
        throw error;
      }
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    if (out.isTTY) out.write('\r\x1b[K');
  }
}

export function registerTrainingCommands(program: Command, context: () => CliContext): void {
  const train = program
    .command('train')
    .description(
      'Train a model on a task of a workspace (its labels and splits), or resume a run; Ctrl+C cancels (resumable).',
    )
    .requiredOption('--workspace <folder>', 'the workspace folder')
    .option('--task <name>', 'the task to train on (name or id)')
    .option(
      '--kind <kind>',
      "what to train when it is not the task's kind: verification trains a verifier on a classification task whose classes are identities",
    )
    .option(
      '--config <file>',
      "a configuration (JSON, only what differs from the task's defaults), or an earlier run's run.json",
    )
    .option('--resume <run>', 'continue a cancelled or interrupted run from its last finished epoch')
    .option('--epochs <n>', 'epochs (overrides the configuration)', positiveInt)
    .option('--threads <n>', 'gradient threads: 1, 2 or auto (overrides the configuration)', threads)
    .option(
      '--frames <which>',
      "frames of multi-frame images to train on: first, middle or all (kept as the task's setting)",
      taskFrames,
    )
    .option(
      '--fine-tune-from <source>',
      'start from a completed run of the same kind (its id), a Loupe model folder, or a TF.js layers model.json',
    )
    .option('--freeze <n>', 'with --fine-tune-from: the first N layers do not train (default 0)', freezeCount)
    .option(
      '--backbone-lr-factor <f>',
      "with --fine-tune-from: learning-rate factor of the source model's layers, 0…1 (default 0.1)",
      learningRateFactor,
    );
  addCompressionOptions(train)
    .option('--json', 'print the finished run as JSON')
    .action(
      async (
        options: {
          workspace: string;
          task?: string;
          kind?: string;
          config?: string;
          resume?: string;
          epochs?: number;
          threads?: TrainingThreads;
          frames?: TaskFrames;
          json?: boolean;
        } & FineTuneOptions &
          CompressionOptions,
      ) => {
        const cli = context();
        if (!options.task === !options.resume)
          fail('give either --task (a new run) or --resume RUN.', EXIT_BAD_INPUT, 'loupe.badInput');
        if (options.kind && options.resume)
          fail('a resumed run keeps its kind; --kind applies to new runs.', EXIT_BAD_INPUT, 'loupe.badInput');
        const kind = options.kind === undefined ? undefined : trainingKind(options.kind);
        await openWorkspace(cli, options.workspace);
        let run: RunSummary;
        if (options.resume) {
          if (
            options.config ||
            options.epochs ||
            options.threads ||
            options.fineTuneFrom ||
            options.pruneTo !== undefined ||
            options.distillFrom ||
            options.frames
          )
            fail(
              'a resumed run keeps its configuration; --config, --epochs, --threads, --frames, --fine-tune-from, --prune-to and --distill-from apply to new runs.',
              EXIT_BAD_INPUT,
              'loupe.badInput',
            );
          run = await cli.invoke('training.resume', { runId: options.resume });
        } else {
          const id = await taskId(cli, options.task!);
          if (options.frames) await cli.invoke('labels.setTaskFrames', { taskId: id, frames: options.frames });
          const defaults = await cli.invoke('training.defaults', { taskId: id, ...(kind ? { kind } : {}) });
          let config = options.config ? readConfigFile(defaults.config, path.resolve(options.config)) : defaults.config;
          if (options.epochs) config = { ...config, epochs: options.epochs };
          if (options.threads) config = { ...config, threads: options.threads };
          const tuned = withFineTune(config, options);
          if (typeof tuned === 'string') fail(tuned, EXIT_BAD_INPUT, 'loupe.badInput');
          const compressed = withCompression(tuned, options);
          if (typeof compressed === 'string') fail(compressed, EXIT_BAD_INPUT, 'loupe.badInput');
          config = compressed;
          const { counts } = defaults.dataset;
          const pairs = defaults.dataset.pairs ? ` (${defaults.dataset.pairs} labelled pairs)` : '';
          console.error(
            `Training ${config.model.architecture} (${config.task}) on “${defaults.taskName}”: ${counts.train} train, ${counts.val} val, ${counts.test} test images${pairs}, ${config.preprocessing.rows}×${config.preprocessing.columns}.`,
          );
          if (config.fineTune) {
            const from = config.fineTune.from;
            const source =
              from.kind === 'run' ? `run ${from.runId}` : from.kind === 'loupe-model' ? from.dir : from.modelJson;
            console.error(
              `  fine-tuning from ${source}: first ${config.fineTune.freezeLayers} layer(s) frozen, backbone learning rate ×${config.fineTune.backboneLearningRateFactor}`,
            );
          }
          for (const line of compressionLines(config)) console.error(`  ${line}`);
          if (defaults.dataset.verification) console.error(`  ${verificationLine(defaults.dataset.verification)}`);
          for (const warning of [...(defaults.dataset.verification?.warnings ?? []), ...defaults.dataset.warnings])
            console.error(`  warning: ${warning}`);
          for (const skipped of defaults.dataset.skipped)
            console.error(`  left out: ${skipped.count} ${skipped.reason}`);
          // With --kind, the service also refuses a --config that trains another kind.
          run = await cli.invoke('training.start', { taskId: id, config, ...(kind ? { kind } : {}) });
        }
        console.error(`Run ${run.runId} in ${path.join(path.resolve(options.workspace), 'runs', run.runId)}`);
        const finished = await follow(cli, run, options.workspace);
        if (options.json) console.log(JSON.stringify(finished, null, 2));
        else console.log(headline(finished));
        if (finished.state === 'cancelled')
          fail(
            `cancelled; resume with: loupe train --workspace ${options.workspace} --resume ${run.runId}`,
            EXIT_INTERRUPTED,
            'loupe.cancelled',
          );
        if (finished.state !== 'completed')
          fail(finished.error ?? `the run ended ${finished.state}.`, EXIT_FAILED, 'loupe.runFailed');
      },
    );

  program
    .command('runs')
    .description('List the training runs of a workspace.')
    .requiredOption('--workspace <folder>', 'the workspace folder')
    .option('--json', 'print the list as JSON')
    .action(async (options: { workspace: string; json?: boolean }) => {
      const cli = context();
      await openWorkspace(cli, options.workspace);
      const { runs } = await cli.invoke('training.runs', {});
      if (options.json) return void console.log(JSON.stringify(runs, null, 2));
      if (runs.length === 0) return void console.log('No runs yet.');
      for (const run of runs) console.log(`${headline(run)}  [${run.taskName}, ${run.architecture}]`);
    });
}
