/** `loupe export`: a completed run's model as a bundle folder for another runtime (ONNX, TF.js). */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  CALIBRATION_METHODS,
  DEFAULT_CALIBRATION_IMAGES,
  EXPORT_FORMATS,
  type ExportFormat,
} from '../../../contract/index';
import type { CliContext } from './context';
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

function format(value: string): ExportFormat {
  if (!(EXPORT_FORMATS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(
      `this version of Loupe exports ${EXPORT_FORMATS.join(', ')}; "${value}" is not one of them.`,
    );
  }
  return value as ExportFormat;
}

export function registerExportCommands(program: Command, context: () => CliContext): void {
  program
    .command('export')
    .description(
      "Export a completed run's model into a bundle folder (model, model-card.json with the parity check; onnx: run_onnx.py and run_onnx.mjs; tfjs: model.json, weight shards and an offline index.html), checked by ONNX Runtime or stock TF.js against Loupe's predictions on the test split.",
    )
    .requiredOption('--workspace <folder>', 'the workspace folder')
    .requiredOption('--run <run>', 'the completed run whose model to export')
    .option('--format <format>', `one of ${EXPORT_FORMATS.join(', ')}`, format, 'onnx')
    .requiredOption('--out <folder>', 'the bundle folder to write (must not exist, unless --force)')
    .option(
      '--no-preprocessing',
      'onnx: leave intensity scaling and standardisation to the caller instead of baking them into the graph (tfjs never bakes them: loupe.js does them)',
    )
    .option(
      '--calibration <n>',
      'onnx-int8: training images to calibrate activation ranges on',
      positiveInt,
      DEFAULT_CALIBRATION_IMAGES,
    )
    .option(
      '--calibration-method <method>',
      `onnx-int8: ${CALIBRATION_METHODS.join(' or ')}`,
      calibrationMethod,
      'minmax',
    )
    .option('--force', 'replace the output folder if it exists')
    .action(
      async (options: {
        workspace: string;
        run: string;
        format: ExportFormat;
        out: string;
        preprocessing: boolean;
        force?: boolean;
        calibration: number;
        calibrationMethod: (typeof CALIBRATION_METHODS)[number];
      }) => {
        const cli = context();
        await cli.invoke('workspace.open', { path: path.resolve(options.workspace), create: false });
        const bar = progressLine('parity check');
        const reply = await cli.invoke(
          'training.export',
          {
            runId: options.run,
            outDir: path.resolve(options.out),
            format: options.format,
            preprocessing: options.preprocessing,
            force: options.force ?? false,
            calibration: options.calibration,
            calibrationMethod: options.calibrationMethod,
          },
          (p) => bar.update(p.done, p.total),
        );
        bar.done();
        const { parity } = reply;
        console.log(
          `${reply.format} model: ${(reply.modelBytes / 1024).toFixed(0)} KiB in ${reply.outDir} (${reply.files.join(', ')})`,
        );
        const bound = parity.tolerance === null ? '' : ` (≤ ${parity.tolerance})`;
        console.log(
          `parity on ${parity.images} ${parity.split} image(s) with ${parity.runtime}: max |difference| ${parity.maxAbsDiff.toExponential(2)}${bound}, ${parity.samePredictions}/${parity.images} predictions the same`,
        );
        const int8 = parity.int8;
        if (int8) {
          const accuracy =
            int8.accuracyFp32 === null
              ? ''
              : `; accuracy ${int8.accuracyInt8!.toFixed(4)} (fp32 ${int8.accuracyFp32.toFixed(4)})`;
          console.log(
            `int8: calibrated on ${int8.calibrationImages} training image(s) (${int8.calibrationMethod}); ${int8.sizeRatio.toFixed(3)}× the fp32 file${accuracy}`,
          );
        }
      },
    );
}
