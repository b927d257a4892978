/**
 * `loupe decode`, `loupe import` and `loupe images list`. Decode reads one file straight through
 * Loupe's decoders (no workspace needed); import and list go through the same channels as the UI.
 */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  MAX_LIST_LIMIT,
  NO_FILES_FOUND,
  foundNoFiles,
  isLoupeError,
  type ImageRecord,
  type ImportReport,
} from '../../../contract/index';
import { DecodeError, decodeFile } from '../../../ml/decode/index';
import { writeFileAtomic } from '../../../base/atomic-write';
import type { CliContext } from './context';
import { progressLine } from './progress';
import { EXIT_BAD_INPUT, EXIT_SOME_FAILED, fail } from './fail';

function frameIndex(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError('a frame index is a whole number from 0 (the first frame).');
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
    .description(
      "Decode one DICOM, NIfTI or raster file and write a frame's stored pixel values (little-endian, RGB interleaved) to a raw file.",
    )
    .argument('<file>', 'DICOM, PNG, JPEG, TIFF, WebP or GIF file')
    .option('--frame <n>', 'frame to decode, 0 for the first', frameIndex, 0)
    .requiredOption('--out <raw>', 'where to write the raw pixel values')
    .option('--json', 'print the description as one line of JSON (default: indented JSON)')
    .action(async (file: string, options: { frame: number; out: string; json?: boolean }) => {
      let decoded;
      try {
        decoded = await decodeFile(path.resolve(file), { frame: options.frame });
      } catch (error) {
        if (error instanceof DecodeError)
          fail(`${path.basename(file)}: ${error.message}`, EXIT_BAD_INPUT, 'loupe.badInput');
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
    .description(
      'Import files and folders (recursively) into a workspace, creating it if absent. Exit code 1 when some files failed; DICOM objects that are not images (reports, DICOMDIR, ...) are skipped, not failed.',
    )
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
      else for (const line of reportLines(report)) console.log(line);
      if (report.stopped) fail(report.stopped.message, EXIT_SOME_FAILED, 'loupe.stopped');
      if (report.cancelled)
        fail(
          'import cancelled; files imported before the cancel stay in the workspace.',
          EXIT_SOME_FAILED,
          'loupe.cancelled',
        );
      if (report.failed > 0)
        fail(
          `${report.failed} file${report.failed === 1 ? '' : 's'} could not be imported.`,
          EXIT_SOME_FAILED,
          'loupe.someFailed',
        );
    });

  registerImagesList(program, context);
}

/**
 * The import report as text: one line per failed or duplicate file, then the totals. Files that
 * failed because the disk filled up share one line: the reason is the disk, not each file.
 */
export function reportLines(report: ImportReport): string[] {
  const lines: string[] = [];
  let diskFull = 0;
  for (const file of report.files) {
    if (file.status === 'failed' && file.failure === 'disk-full') diskFull += 1;
    else if (file.status === 'failed') lines.push(`failed     ${file.path}: ${file.message}`);
    else if (file.status === 'duplicate') lines.push(`duplicate  ${file.path}: ${file.message}`);
    else if (file.status === 'skipped') lines.push(`skipped    ${file.path}: ${file.message}`);
  }
  if (diskFull > 0) lines.push(`not imported (disk full): ${diskFull} file${diskFull === 1 ? '' : 's'}`);
  if (foundNoFiles(report)) lines.push(NO_FILES_FOUND);
  const skipped = report.skipped > 0 ? `${report.skipped} not an image, ` : '';
  lines.push(
    `${report.imported} imported, ${report.duplicates} duplicate${report.duplicates === 1 ? '' : 's'} skipped, ${skipped}${report.failed} failed.`,
  );
  return lines;
}

/** What `loupe images list` shows of each image, in this order (the TSV columns and the JSON keys). */
const LISTED = ['id', 'path', 'sha256', 'rows', 'columns', 'frames', 'modality'] as const;
type ListedImage = Pick<ImageRecord, (typeof LISTED)[number]>;

export function listedImage(record: ImageRecord): ListedImage {
  return {
    id: record.id,
    path: record.path,
    sha256: record.sha256,
    rows: record.rows,
    columns: record.columns,
    frames: record.frames,
    modality: record.modality,
  };
}

/** Tab-separated, a header line first; an unknown modality is an empty field. */
export function imageTable(images: readonly ListedImage[]): string[] {
  return [LISTED.join('\t'), ...images.map((image) => LISTED.map((key) => String(image[key] ?? '')).join('\t'))];
}

function registerImagesList(program: Command, context: () => CliContext): void {
  program
    .command('images')
    .description('The images of a workspace.')
    .command('list')
    .description('List the images of a workspace (id, path, sha256, rows, columns, frames, modality), in import order.')
    .requiredOption('--workspace <folder>', 'the workspace folder')
    .option('--json', 'print a JSON array of the images (default: tab-separated lines with a header)')
    .action(async (options: { workspace: string; json?: boolean }) => {
      const cli = context();
      await cli.invoke('workspace.open', { path: path.resolve(options.workspace), create: false });
      const images: ListedImage[] = [];
      for (let offset = 0; ; offset += MAX_LIST_LIMIT) {
        const page = await cli.invoke('imaging.list', { offset, limit: MAX_LIST_LIMIT });
        images.push(...page.items.map(listedImage));
        if (page.items.length < MAX_LIST_LIMIT || images.length >= page.total) break;
      }
      if (options.json) console.log(JSON.stringify(images, null, 2));
      else for (const line of imageTable(images)) console.log(line);
    });
}
