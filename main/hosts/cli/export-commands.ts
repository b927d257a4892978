/** `loupe export`: a completed run's model as a bundle folder for another runtime (ONNX). */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { EXPORT_FORMATS, type ExportFormat } from '../../../contract/index';
import type { CliContext } from './context';
import { progressLine } from './progress';

function format(value: string): ExportFormat {
  if (!(EXPORT_FORMATS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`this version of Loupe exports ${EXPORT_FORMATS.join(', ')}; "${value}" is not one of them.`);
  }
  return value as ExportFormat;
}

export function registerExportCommands(program: Command, context: () => CliContext): void {
  program
    .command('export')
    .description("Export a completed run's model into a bundle folder (model, model-card.json with the parity check, run_onnx.py and run_onnx.mjs), checked by ONNX Runtime against Loupe's predictions on the test split.")
    .requiredOption('--workspace <folder>', 'the workspace folder')
    .requiredOption('--run <run>', 'the completed run whose model to export')
    .option('--format <format>', `one of ${EXPORT_FORMATS.join(', ')}`, format, 'onnx')
    .requiredOption('--out <folder>', 'the bundle folder to write (must not exist, unless --force)')
    .option('--no-preprocessing', "leave intensity scaling and standardisation to the caller instead of baking them into the graph")
    .option('--force', 'replace the output folder if it exists')
    .action(async (options: { workspace: string; run: string; format: ExportFormat; out: string; preprocessing: boolean; force?: boolean }) => {
      const cli = context();
      await cli.invoke('workspace.open', { path: path.resolve(options.workspace), create: false });
      const bar = progressLine('parity check');
      const reply = await cli.invoke(
        'training.export',
        { runId: options.run, outDir: path.resolve(options.out), format: options.format, preprocessing: options.preprocessing, force: options.force ?? false },
        (p) => bar.update(p.done, p.total),
      );
      bar.done();
      const { parity } = reply;
      console.log(`${reply.format} model: ${(reply.modelBytes / 1024).toFixed(0)} KiB in ${reply.outDir} (${reply.files.join(', ')})`);
      console.log(
        `parity on ${parity.images} ${parity.split} image(s) with ${parity.runtime}: max |difference| ${parity.maxAbsDiff.toExponential(2)} (≤ ${parity.tolerance}), ${parity.samePredictions}/${parity.images} predictions the same`,
      );
    });
}
