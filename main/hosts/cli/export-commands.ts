/**
 * `loupe export`: a completed run's model as bundle folders for other runtimes (ONNX, TF.js), one
 * per format asked for, then the run's ONNX exports compared (metric, size, speed, parity).
 */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  CALIBRATION_METHODS,
  DEFAULT_CALIBRATION_IMAGES,
  EXPORT_FORMATS,
  type ExportFormat,
} from '../../../contract/index';
import type { CliContext } from './context';
import { comparisonTable, exportSummary } from './export-table';
import { progressLine } from './progress';

function calibrationMethod(value: string): (typeof CALIBRATION_METHODS)[number] {
  if (!(CALIBRATION_METHODS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`one of ${CALIBRATION_METHODS.join(', ')}.`);
  return value as (typeof CALIBRATION_METHODS)[number];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of at least 1.');
  return n;
}

/** A comma-separated list of formats, each one Loupe writes, none twice. */
function formats(value: string): ExportFormat[] {
  const list = value.split(',').map((f) => f.trim());
  for (const f of list) {
    if (!(EXPORT_FORMATS as readonly string[]).includes(f)) {
      throw new InvalidArgumentError(
        `this version of Loupe exports ${EXPORT_FORMATS.join(', ')}; "${f}" is not one of them.`,
      );
    }
  }
  if (new Set(list).size !== list.length) throw new InvalidArgumentError('each format once.');
  return list as ExportFormat[];
}

export function registerExportCommands(program: Command, context: () => CliContext): void {
  program
    .command('export')
    .description(
      "Export a completed run's model into a bundle folder per format (model, model-card.json with the parity check, model-card.md; onnx: run_onnx.py and run_onnx.mjs; tfjs: model.json, weight shards and an offline index.html; tflite and tflite-int8: model.tflite), checked by ONNX Runtime, stock TF.js or Arm NN against Loupe's predictions on the test split; then compare the run's ONNX exports (metric, size, latency, images/s, parity).",
    )
    .requiredOption('--workspace <folder>', 'the workspace folder')
    .requiredOption('--run <run>', 'the completed run whose model to export')
    .option('--format <formats>', `one or more of ${EXPORT_FORMATS.join(', ')}, separated by commas`, formats, [
      EXPORT_FORMATS[0],
    ])
    .requiredOption(
      '--out <folder>',
      'the bundle folder to write, or with several formats the folder that gets one bundle per format (must not exist, unless --force)',
    )
    .option(
      '--no-preprocessing',
      'onnx: leave intensity scaling and standardisation to the caller instead of baking them into the graph (tfjs never bakes them: loupe.js does them; tflite takes preprocessed pixels)',
    )
    .option(
      '--calibration <n>',
      'onnx-int8, tflite-int8: training images to calibrate activation ranges on',
      positiveInt,
      DEFAULT_CALIBRATION_IMAGES,
    )
    .option(
      '--calibration-method <method>',
      `onnx-int8: ${CALIBRATION_METHODS.join(' or ')}; tflite-int8: minmax`,
      calibrationMethod,
      'minmax',
    )
    .option(
      '--gallery',
      "verification: carry the model's enrolled gallery into each bundle (gallery.json: each reference's label and embedding, its id replaced by a hash of it), so that `loupe predict --model BUNDLE --gallery` matches against it",
    )
    .option('--force', 'replace the output folder if it exists')
    .option('--no-compare', "skip the comparison of the run's ONNX exports (metric, size, speed) after exporting")
    .option('--json', 'print the exports and the comparison as JSON')
    .action(
      async (options: {
        workspace: string;
        run: string;
        format: ExportFormat[];
        out: string;
        preprocessing: boolean;
        force?: boolean;
        gallery?: boolean;
        calibration: number;
        calibrationMethod: (typeof CALIBRATION_METHODS)[number];
        compare: boolean;
        json?: boolean;
      }) => {
        const cli = context();
        await cli.invoke('workspace.open', { path: path.resolve(options.workspace), create: false });
        const out = path.resolve(options.out);
        const several = options.format.length > 1;
        const exports = [];
        for (const format of options.format) {
          const bar = progressLine(`${format} parity check`);
          const reply = await cli.invoke(
            'training.export',
            {
              runId: options.run,
              outDir: several ? path.join(out, format) : out,
              format,
              preprocessing: options.preprocessing,
              force: options.force ?? false,
              calibration: options.calibration,
              calibrationMethod: options.calibrationMethod,
              gallery: options.gallery ?? false,
            },
            (p) => bar.update(p.done, p.total),
          );
          bar.done();
          exports.push(reply);
          if (!options.json) for (const line of exportSummary(reply)) console.log(line);
        }
        let comparison = null;
        if (options.compare && exports.some((e) => e.files.some((f) => f.endsWith('.onnx')))) {
          const bar = progressLine('comparison');
          comparison = await cli.invoke('training.compareExports', { runId: options.run }, (p) =>
            bar.update(p.done, p.total),
          );
          bar.done();
          if (!options.json) for (const line of comparisonTable(comparison)) console.log(line);
        }
        if (options.json) console.log(JSON.stringify({ exports, comparison }, null, 2));
      },
    );
}
