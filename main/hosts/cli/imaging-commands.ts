/**
 * `loupe decode` and `loupe import`. Decode reads one file straight through Loupe's decoders (no
 * workspace needed); import goes through the same channel as the UI's Import button.
 */
import path from 'node:path';
import { CommanderError, InvalidArgumentError, type Command } from 'commander';
import { isLoupeError, type ImportReport } from '../../../contract/index';
import { DecodeError, decodeFile } from '../../../ml/decode/index';
import { writeFileAtomic } from '../../../ml/io/atomic-write';
import type { CliContext } from './context';
import { progressLine } from './progress';

/** Exit codes (as in cli.ts): 1 some work failed, 2 bad input. */
const EXIT_SOME_FAILED = 1;
const EXIT_BAD_INPUT = 2;

/** Prints one line on stderr and ends the command with its own exit code (cli.ts passes `loupe.*` codes through). */
function fail(message: string, exitCode: number, code: string): never {
  console.error(`loupe: ${message}`);
  throw new CommanderError(exitCode, code, message);
}

function frameIndex(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a frame index is a whole number from 0 (the first frame).');
  return n;
}

function sampleType(data: ArrayBufferView): string {
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int16Array) return 'int16';
  return 'float32';
}

export function registerImagingCommands(program: Command, context: () => CliContext): void {
  program
    .command('decode')
    .description("Decode one DICOM or raster file and write a frame's stored pixel values (little-endian, RGB interleaved) to a raw file.")
    .argument('<file>', 'DICOM, PNG, JPEG, TIFF, WebP or GIF file')
    .option('--frame <n>', 'frame to decode, 0 for the first', frameIndex, 0)
    .requiredOption('--out <raw>', 'where to write the raw pixel values')
    .option('--json', 'print the description as one line of JSON (default: indented JSON)')
    .action(async (file: string, options: { frame: number; out: string; json?: boolean }) => {
      let decoded;
      try {
        decoded = await decodeFile(path.resolve(file), { frame: options.frame });
      } catch (error) {
        if (error instanceof DecodeError) fail(`${path.basename(file)}: ${error.message}`, EXIT_BAD_INPUT, 'loupe.badInput');
        throw error;
      }
      const { info, frame } = decoded;
      const bytes = new Uint8Array(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength);
      try {
        await writeFileAtomic(path.resolve(options.out), bytes);
      } catch (error) {
        fail(`cannot write ${options.out}: ${(error as Error).message}`, EXIT_SOME_FAILED, 'loupe.writeFailed');
      }
      const description = {
        file: path.resolve(file),
        out: path.resolve(options.out),
        format: info.format,
        frame: frame.frame,
        rows: frame.rows,
        columns: frame.columns,
        frames: info.frames,
        samplesPerPixel: frame.samplesPerPixel,
        bitsAllocated: frame.bitsAllocated,
        bitsStored: frame.bitsStored,
        pixelRepresentation: frame.pixelRepresentation,
        photometricInterpretation: frame.photometricInterpretation,
        sourcePhotometricInterpretation: info.sourcePhotometricInterpretation,
        transferSyntaxUID: frame.transferSyntaxUID,
        rescaleSlope: frame.rescaleSlope,
        rescaleIntercept: frame.rescaleIntercept,
        windowCenter: frame.windowCenter,
        windowWidth: frame.windowWidth,
        sampleType: sampleType(frame.data),
        bytes: bytes.byteLength,
      };
      console.log(options.json ? JSON.stringify(description) : JSON.stringify(description, null, 2));
    });

  program
    .command('import')
    .description('Import files and folders (recursively) into a workspace, creating it if absent. Exit code 1 when some files failed; DICOM objects that are not images (reports, DICOMDIR, ...) are skipped, not failed.')
    .requiredOption('--workspace <folder>', 'the workspace folder')
    .argument('<paths...>', 'files and folders to import')
    .option('--json', 'print the full report as JSON')
    .action(async (paths: string[], options: { workspace: string; json?: boolean }) => {
      const cli = context();
      try {
        await cli.invoke('workspace.open', { path: path.resolve(options.workspace), create: true });
      } catch (error) {
        if (isLoupeError(error)) fail(error.message, EXIT_BAD_INPUT, 'loupe.badInput');
        throw error;
      }
      const bar = progressLine('import');
      const report = await cli.invoke('imaging.import', { paths: paths.map((p) => path.resolve(p)) }, (p) =>
        bar.update(p.done, p.total, p.phase === 'scanning' ? 'scanning…' : `${p.failed} failed`),
      );
      bar.done();
      if (options.json) console.log(JSON.stringify(report, null, 2));
      else printReport(report);
      if (report.cancelled) fail('import cancelled; files imported before the cancel stay in the workspace.', EXIT_SOME_FAILED, 'loupe.cancelled');
      if (report.failed > 0) fail(`${report.failed} file${report.failed === 1 ? '' : 's'} could not be imported.`, EXIT_SOME_FAILED, 'loupe.someFailed');
    });
}

function printReport(report: ImportReport): void {
  for (const file of report.files) {
    if (file.status === 'failed') console.log(`failed     ${file.path}: ${file.message}`);
    else if (file.status === 'duplicate') console.log(`duplicate  ${file.path}: ${file.message}`);
    else if (file.status === 'skipped') console.log(`skipped    ${file.path}: ${file.message}`);
  }
  const skipped = report.skipped > 0 ? `${report.skipped} not an image, ` : '';
  console.log(`${report.imported} imported, ${report.duplicates} duplicate${report.duplicates === 1 ? '' : 's'} skipped, ${skipped}${report.failed} failed.`);
}
