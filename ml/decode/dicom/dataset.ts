/**
 * Parsing a DICOM Part 10 file with dicom-parser, with the guards the library leaves to us: a
 * bounded inflater for deflated files (inflate.ts), a bound on sequence nesting, and every failure turned into
 * a DecodeError a user can read.
 */
import dicomParser, { type DataSet } from './parser-lib';
import { DecodeError, asDecodeError } from '../errors';
import { MAX_SEQUENCE_DEPTH } from '../limits';
import { inflateDataSet } from './inflate';

/** Offset of the "DICM" marker after the 128-byte preamble (PS3.10 §7.1). */
const DICM_OFFSET = 128;

export const DEFLATED_EXPLICIT_LE = '1.2.840.10008.1.2.1.99';

export function hasDicmMarker(bytes: Uint8Array): boolean {
  return bytes.length >= DICM_OFFSET + 4 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

export interface ParsedDicom {
  dataSet: DataSet;
  transferSyntaxUID: string;
}

/** Parses a whole DICOM file. Throws DecodeError only. */
export function parseDicomFile(bytes: Uint8Array): ParsedDicom {
  if (!hasDicmMarker(bytes)) {
    throw new DecodeError('not-an-image', 'This is not a DICOM file: it lacks the "DICM" marker at byte 128.');
  }
  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(bytes, { inflater: inflateDataSet });
  } catch (thrown) {
    throw describeParseFailure(thrown, bytes.length);
  }
  const depth = nestingDepth(dataSet);
  if (depth > MAX_SEQUENCE_DEPTH) {
    throw new DecodeError('too-deep', `This file nests sequences more than ${MAX_SEQUENCE_DEPTH} levels deep, more than Loupe follows; it was skipped.`);
  }
  const transferSyntaxUID = cleanUid(dataSet.string('x00020010') ?? '');
  if (!transferSyntaxUID) throw new DecodeError('malformed', 'This DICOM file does not say how its data is encoded (no Transfer Syntax UID).');
  return { dataSet, transferSyntaxUID };
}

/** UIDs are padded with NUL or space to an even length. */
export function cleanUid(value: string): string {
  return value.replace(/[\0\s]+$/g, '').trim();
}

/** dicom-parser throws strings, Errors, or `{ exception, dataSet }` from inside the data set. */
function describeParseFailure(thrown: unknown, fileLength: number): DecodeError {
  const inner = thrown && typeof thrown === 'object' && 'exception' in thrown ? (thrown as { exception: unknown }).exception : thrown;
  if (inner instanceof DecodeError) return inner;
  const partial = thrown && typeof thrown === 'object' && 'dataSet' in thrown ? (thrown as { dataSet?: DataSet }).dataSet : undefined;
  const text = typeof inner === 'string' ? inner : inner instanceof Error ? inner.message : '';
  if (/overrun|past end|end of buffer|beyond/i.test(text)) {
    const hadImageHeader = partial?.elements.x00280010 !== undefined && partial.elements.x00280011 !== undefined;
    return hadImageHeader
      ? new DecodeError('truncated-pixels', `This DICOM file is truncated: it ends at byte ${fileLength}, before its pixel data does.`)
      : new DecodeError('malformed', `This DICOM file is truncated or has a wrong element length (it ends at byte ${fileLength}).`);
  }
  return asDecodeError(inner, 'malformed', 'This DICOM file is damaged');
}

/** Deepest sequence nesting in the data set, walked without recursion. */
function nestingDepth(root: DataSet): number {
  let deepest = 0;
  const stack: { dataSet: DataSet; depth: number }[] = [{ dataSet: root, depth: 0 }];
  while (stack.length > 0) {
    const { dataSet, depth } = stack.pop()!;
    deepest = Math.max(deepest, depth);
    if (depth > MAX_SEQUENCE_DEPTH) break;
    for (const element of Object.values(dataSet.elements)) {
      for (const item of element.items ?? []) {
        if (item.dataSet) stack.push({ dataSet: item.dataSet, depth: depth + 1 });
      }
    }
  }
  return deepest;
}
