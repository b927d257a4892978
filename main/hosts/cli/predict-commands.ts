/**
 * `loupe predict` and `loupe predict merge`: batch prediction over folders, headless. With
 * --model no workspace is needed (a server with a model folder is enough). Ctrl+C stops after the
 * current group of files; --resume finishes the folder later, each file predicted once.
 */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  BATCH_FORMATS,
  EXPLAIN_METHODS,
  DEFAULT_GALLERY_MATCHES,
  MAX_GALLERY_MATCHES,
  RUNTIME_CHOICES,
  isLoupeError,
  type BatchFormat,
  type BatchReport,
  type ExplainMethodName,
  type PredictRuntime,
  type RequestOf,
  type RuntimeChoice,
} from '../../../contract/index';
import { parseShard, type Shard } from '../../services/batch/shard';
import type { CliContext } from './context';
import { batchModelOf, EXIT_BAD_INPUT, EXIT_SOME_FAILED, fail } from './fail';

const EXIT_INTERRUPTED = 130;
/** Unreadable files printed one per line; beyond this only their count (all are in manifest.jsonl). */
const FAILED_LINES_SHOWN = 50;

function shardOption(value: string): Shard {
  try {
    return parseShard(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

function threshold(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new InvalidArgumentError(
      'a threshold is a number (a detection score from 0 to 1, or a verification similarity from -1 to 1).',
    );
  return n;
}

/** A line redrawn in place on a terminal (the total is unknown: files are found as the run goes); silent otherwise. */
function countLine(stream: NodeJS.WriteStream = process.stderr): { update(text: string): void; clear(): void } {
  const tty = stream.isTTY === true;
  let drawn = false;
  return {
    update(text) {
      if (!tty) return;
      stream.write(`\r${text.slice(0, (stream.columns ?? 100) - 1)}\x1b[K`);
      drawn = true;
    },
    clear() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}

function explainMethod(value: string): ExplainMethodName {
  if (!(EXPLAIN_METHODS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`a method is one of ${EXPLAIN_METHODS.join(', ')}.`);
  return value as ExplainMethodName;
}

function runtimeChoice(value: string): RuntimeChoice {
  if (!(RUNTIME_CHOICES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`a runtime is one of ${RUNTIME_CHOICES.join(', ')}.`);
  return value as RuntimeChoice;
}

const RUNTIME_NAMES: Record<PredictRuntime, string> = { engine: "Loupe's engine", onnxruntime: 'ONNX Runtime' };

function topK(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_GALLERY_MATCHES)
    throw new InvalidArgumentError(`--top-k is a whole number from 1 to ${MAX_GALLERY_MATCHES}.`);
  return n;
}

interface PredictOptions {
  workspace?: string;
  run?: string;
  model?: string;
  in?: string[];
  out?: string;
  format?: string;
  threshold?: number;
  resume?: boolean;
  shard?: Shard;
  gallery?: boolean;
  topK?: number;
  explain?: ExplainMethodName;
  runtime?: RuntimeChoice;
  json?: boolean;
}

function summary(report: BatchReport): string {
  const skipped = report.skipped > 0 ? `, ${report.skipped} already done` : '';
  const ranOn = report.runtime ? `; the model ran on ${RUNTIME_NAMES[report.runtime]}` : '';
  return `${report.done - report.failed} file${report.done - report.failed === 1 ? '' : 's'} predicted (${report.frames} frame${report.frames === 1 ? '' : 's'}), ${report.failed} failed${skipped}; results in ${report.out}${ranOn}.`;
}

async function predict(cli: CliContext, options: PredictOptions): Promise<void> {
  if (!options.in?.length) fail('name the files or folders to predict with --in.', EXIT_BAD_INPUT, 'loupe.badInput');
  if (!options.out) fail('name the output folder with --out.', EXIT_BAD_INPUT, 'loupe.badInput');
  const request: RequestOf<'batch.predict'> = {
    model: batchModelOf(options),
    inputs: options.in.map((p) => path.resolve(p)),
    out: path.resolve(options.out),
    formats: (options.format
      ? options.format
          .split(',')
          .map((f) => f.trim())
          .filter(Boolean)
      : []) as BatchFormat[],
    resume: options.resume ?? false,
    shard: options.shard ?? null,
    ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
    ...(options.gallery ? { gallery: { k: options.topK ?? DEFAULT_GALLERY_MATCHES } } : {}),
    ...(options.explain ? { explain: options.explain } : {}),
    runtime: options.runtime ?? 'auto',
  };
  if (options.topK !== undefined && !options.gallery)
    fail('--top-k goes with --gallery.', EXIT_BAD_INPUT, 'loupe.badInput');
  const unknown = request.formats?.find((f) => !(BATCH_FORMATS as readonly string[]).includes(f));
  if (unknown)
    fail(`unknown --format "${unknown}"; formats are ${BATCH_FORMATS.join(', ')}.`, EXIT_BAD_INPUT, 'loupe.badInput');
  const line = countLine();
  let shown = 0;
  let report: BatchReport;
  try {
    if (options.workspace !== undefined)
      await cli.invoke('workspace.open', { path: path.resolve(options.workspace), create: false });
    // Ctrl+C cancels the call (cli.ts): the run stops after the current group and reports itself cancelled.
    report = await cli.invoke('batch.predict', request, (p) => {
      for (const { path: file, reason } of p.failures) {
        if (shown++ >= FAILED_LINES_SHOWN) break;
        line.clear();
        console.error(`failed     ${file}: ${reason}`);
      }
      line.update(
        `predict ${p.done} files (${p.frames} frames), ${p.failed} failed${p.skipped ? `, ${p.skipped} already done` : ''}`,
      );
    });
  } catch (error) {
    line.clear();
    if (
      isLoupeError(error) &&
      (error.code === 'INVALID_REQUEST' || error.code === 'NOT_FOUND' || error.code === 'NOT_A_WORKSPACE')
    )
      fail(error.message, EXIT_BAD_INPUT, 'loupe.badInput');
    if (isLoupeError(error) && error.code === 'CANCELLED')
      fail('cancelled; finish with the same command and --resume.', EXIT_INTERRUPTED, 'loupe.cancelled');
    throw error;
  }
  line.clear();
  if (options.json) console.log(JSON.stringify(report, null, 2));
  else console.log(summary(report));
  if (report.cancelled)
    fail('cancelled; finish with the same command and --resume.', EXIT_INTERRUPTED, 'loupe.cancelled');
  if (report.failed > 0)
    fail(
      `${report.failed} file${report.failed === 1 ? '' : 's'} could not be predicted; each is listed with its reason in ${path.join(report.out, 'manifest.jsonl')}.`,
      EXIT_SOME_FAILED,
      'loupe.someFailed',
    );
}

async function merge(cli: CliContext, dirs: string[], out: string | undefined): Promise<void> {
  if (!out) fail('name the merged output folder with --out.', EXIT_BAD_INPUT, 'loupe.badInput');
  if (dirs.length === 0)
    fail(
      'name the shard output folders to merge: loupe predict merge DIR… --out DIR.',
      EXIT_BAD_INPUT,
      'loupe.badInput',
    );
  try {
    const report = await cli.invoke('batch.merge', { dirs: dirs.map((d) => path.resolve(d)), out: path.resolve(out) });
    console.log(
      `${report.shards} shard${report.shards === 1 ? '' : 's'} merged: ${report.files} files, each once (${report.failed} failed); results in ${report.out}.`,
    );
  } catch (error) {
    if (isLoupeError(error) && error.code === 'INVALID_REQUEST') fail(error.message, EXIT_BAD_INPUT, 'loupe.badInput');
    throw error;
  }
}

export function registerPredictCommands(program: Command, context: () => CliContext): void {
  program
    .command('predict')
    .description(
      'Run a model over files and folders (recursively), streaming results into an output folder that --resume finishes after any stop. `loupe predict merge DIR… --out DIR` joins the folders of --shard runs.',
    )
    .usage(
      '(--workspace W --run RUN | --model DIR) --in PATH… --out DIR [options]\n       loupe predict merge DIR… --out DIR',
    )
    .argument('[merge...]', '"merge" then the shard output folders to join')
    .option('--workspace <folder>', 'the workspace holding --run')
    .option('--run <run>', 'a completed run whose model predicts')
    .option(
      '--model <dir>',
      'a Loupe model folder, or an ONNX bundle from `loupe export` (run by ONNX Runtime); no workspace needed',
    )
    .option('--in <paths...>', 'DICOM, PNG, JPEG, TIFF files and folders (walked recursively)')
    .option('--out <folder>', "the output folder (new or empty, or this model's with --resume)")
    .option(
      '--format <list>',
      'comma-separated: csv, jsonl, coco, yolo, masks (default by task: classification csv,jsonl; segmentation masks (with areas in predictions.csv); detection coco,yolo,jsonl; verification jsonl, with --gallery also csv)',
    )
    .option(
      '--threshold <t>',
      "detection score threshold, or verification decision threshold, instead of the model card's",
      threshold,
    )
    .option(
      '--gallery',
      "verification: match each image against the model's enrolled gallery (its nearest references, scores and same/different decisions)",
    )
    .option(
      '--top-k <k>',
      `with --gallery: references kept per image (default ${DEFAULT_GALLERY_MATCHES}, at most ${MAX_GALLERY_MATCHES})`,
      topK,
    )
    .option(
      '--explain <method>',
      `classification: also write a heatmap PNG per image of its predicted class into heatmaps/ (${EXPLAIN_METHODS.join(' | ')})`,
      explainMethod,
    )
    .option('--resume', 'finish an interrupted output folder: files already done are skipped, none is predicted twice')
    .option('--shard <i/n>', 'predict only shard I of N (0-based; split by a hash of each path)', shardOption)
    .option(
      '--runtime <auto|engine>',
      "auto: the model runs on ONNX Runtime when Loupe can export it and the two agree (faster), else on Loupe's engine; engine: always on Loupe's engine",
      runtimeChoice,
    )
    .option('--json', 'print the report as JSON')
    .action(async (operands: string[], options: PredictOptions) => {
      if (operands.length > 0) {
        if (operands[0] !== 'merge')
          fail(
            `unexpected argument "${operands[0]}"; inputs go after --in (or use: loupe predict merge DIR… --out DIR).`,
            EXIT_BAD_INPUT,
            'loupe.badInput',
          );
        await merge(context(), operands.slice(1), options.out);
        return;
      }
      await predict(context(), options);
    });
}
