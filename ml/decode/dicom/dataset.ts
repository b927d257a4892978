/**
 * Parsing a DICOM Part 10 file with dicom-parser, with the guards the library leaves to us: a
 * bounded inflater for deflated files (inflate.ts), a bound on sequence nesting, and every failure turned into
 * a DecodeError a user can read.
 */
import dicomParser, { type DataSet } from './parser-lib';
import { DecodeError } from '../errors';
import { MAX_SEQUENCE_DEPTH } from '../limits';
import { implicitDataSetDespiteHeader, VRS } from './implicit-data-set';
import { inflateDataSet } from './inflate';
import { nonImageKind } from './sop-classes';

/** Offset of the "DICM" marker after the 128-byte preamble (PS3.10 §7.1). */
const DICM_OFFSET = 128;

export const DEFLATED_EXPLICIT_LE = '1.2.840.10008.1.2.1.99';

export function hasDicmMarker(bytes: Uint8Array): boolean {
  return (
    bytes.length >= DICM_OFFSET + 4 &&
    bytes[128] === 0x44 &&
    bytes[129] === 0x49 &&
    bytes[130] === 0x43 &&
    bytes[131] === 0x4d
  );
}

const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';
/** Groups a bare data set (no preamble, no meta header) plausibly starts with: identification, patient, acquisition, relationship, image. */
const FIRST_GROUPS = new Set([0x0008, 0x0010, 0x0018, 0x0020, 0x0028]);

/**
 * How a DICOM file begins. Part 10 files have a 128-byte preamble and "DICM"; older writers and
 * some archives leave out the preamble (the meta header comes first) or write the bare data set
 * with no meta header at all, which GDCM and pydicom read too. Null: not DICOM.
 */
export type DicomLayout = { kind: 'part10' } | { kind: 'no-preamble' } | { kind: 'bare'; transferSyntaxUID: string };

export function dicomLayout(bytes: Uint8Array): DicomLayout | null {
  if (hasDicmMarker(bytes)) return { kind: 'part10' };
  if (bytes.length < 12) return null;
  const group = bytes[0]! | (bytes[1]! << 8);
  const vr = String.fromCharCode(bytes[4]!, bytes[5]!);
  const explicit = VRS.has(vr);
  if (group === 0x0002) return explicit ? { kind: 'no-preamble' } : null;
  if (!FIRST_GROUPS.has(group)) {
    // A bare big-endian data set (pydicom's ExplVR_BigEndNoMeta.dcm): always explicit VR.
    const bigEndianGroup = (bytes[0]! << 8) | bytes[1]!;
    return FIRST_GROUPS.has(bigEndianGroup) && explicit ? { kind: 'bare', transferSyntaxUID: EXPLICIT_BE } : null;
  }
  if (explicit) return { kind: 'bare', transferSyntaxUID: EXPLICIT_LE };
  const length = (bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24)) >>> 0;
  return length <= bytes.length - 8 ? { kind: 'bare', transferSyntaxUID: IMPLICIT_LE } : null;
}

export interface ParsedDicom {
  dataSet: DataSet;
  transferSyntaxUID: string;
}

/** Parses a whole DICOM file. Throws DecodeError only. */
export function parseDicomFile(file: Uint8Array): ParsedDicom {
  const layout = dicomLayout(file);
  if (!layout) {
    throw new DecodeError(
      'not-an-image',
      'This is not a DICOM file: it has neither the "DICM" marker at byte 128 nor a DICOM data set at its start.',
    );
  }
  // A meta header without its preamble: put the preamble back, so offsets are as Part 10 has them.
  const bytes = layout.kind === 'no-preamble' ? withPreamble(file) : file;
  let dataSet: DataSet;
  try {
    dataSet =
      (layout.kind === 'bare' ? null : implicitDataSetDespiteHeader(bytes)) ??
      dicomParser.parseDicom(bytes, {
        inflater: inflateDataSet,
        ...(layout.kind === 'bare' ? { TransferSyntaxUID: layout.transferSyntaxUID } : {}),
      });
  } catch (thrown) {
    // A damaged report or DICOMDIR is skipped like an intact one: its class says it holds no image.
    const kind = nonImageKindOfDamaged(bytes, thrown);
    if (kind) throw new DecodeError('non-image', `Not an image (${kind}).`);
    throw describeParseFailure(thrown, bytes.length);
  }
  const depth = nestingDepth(dataSet);
  if (depth > MAX_SEQUENCE_DEPTH) {
    throw new DecodeError(
      'too-deep',
      `This file nests sequences more than ${MAX_SEQUENCE_DEPTH} levels deep, more than Loupe follows; it was skipped.`,
    );
  }
  const transferSyntaxUID = cleanUid(dataSet.string('x00020010') ?? '');
  if (!transferSyntaxUID)
    throw new DecodeError(
      'malformed',
      'This DICOM file does not say how its data is encoded (no Transfer Syntax UID).',
    );
  return { dataSet, transferSyntaxUID };
}

/** The non-image kind named by a damaged file's SOP Class UID (data set) or Media Storage SOP Class UID (meta header). */
function nonImageKindOfDamaged(bytes: Uint8Array, thrown: unknown): string | null {
  const partial =
    thrown && typeof thrown === 'object' && 'dataSet' in thrown ? (thrown as { dataSet?: DataSet }).dataSet : undefined;
  const read = (step: () => string | undefined): string | null => {
    try {
      return cleanUid(step() ?? '') || null;
    } catch {
      return null;
    }
  };
  const sopClass = read(() => partial?.string('x00080016'));
  const mediaClass = read(() => dicomParser.readPart10Header(bytes).string('x00020002'));
  return nonImageKind(sopClass) ?? nonImageKind(mediaClass);
}

function withPreamble(bytes: Uint8Array): Uint8Array {
  const full = new Uint8Array(DICM_OFFSET + 4 + bytes.length);
  full.set([0x44, 0x49, 0x43, 0x4d], DICM_OFFSET);
  full.set(bytes, DICM_OFFSET + 4);
  return full;
}

/** UIDs are padded with NUL or space to an even length. */
export function cleanUid(value: string): string {
  return value.replace(/[\0\s]+$/g, '').trim();
}

/** dicom-parser throws strings, Errors, or `{ exception, dataSet }` from inside the data set. */
function describeParseFailure(thrown: unknown, fileLength: number): DecodeError {
  const inner =
    thrown && typeof thrown === 'object' && 'exception' in thrown
      ? (thrown as { exception: unknown }).exception
      : thrown;
  if (inner instanceof DecodeError) return inner;
  const partial =
    thrown && typeof thrown === 'object' && 'dataSet' in thrown ? (thrown as { dataSet?: DataSet }).dataSet : undefined;
  const text = typeof inner === 'string' ? inner : inner instanceof Error ? inner.message : '';
  const where = culprit(partial, fileLength);
  const at = where ? ` (at element ${where})` : '';
  if (/overrun|past end|end of buffer|beyond|overread|maxPosition/i.test(text)) {
    const hadImageHeader = partial?.elements.x00280010 !== undefined && partial.elements.x00280011 !== undefined;
    return hadImageHeader && (!where || where === '(7FE0,0010)')
      ? new DecodeError(
          'truncated-pixels',
          `This DICOM file is truncated: it ends at byte ${fileLength}, before its pixel data does.`,
        )
      : new DecodeError(
          'malformed',
          `This DICOM file is truncated or has a wrong element length${at}; it ends at byte ${fileLength}.`,
        );
  }
  if (/item tag|sequence/i.test(text))
    return new DecodeError(
      'malformed',
      `A sequence in this DICOM file is damaged: an item is missing where one should start${at}.`,
    );
  if (/less than 0/i.test(text))
    return new DecodeError('malformed', `This DICOM file has an element with an impossible length${at}.`);
  if (/offset table|fragment/i.test(text))
    return new DecodeError('malformed', `The compressed pixel data's offset table does not match its fragments${at}.`);
  if (/DICM prefix/i.test(text))
    return new DecodeError('not-an-image', 'This is not a DICOM file: it lacks the "DICM" marker at byte 128.');
  // Anything else is a parser detail a user cannot act on: say where the file stops making sense.
  return new DecodeError('malformed', `This DICOM file is damaged and cannot be read${at}.`, { cause: inner });
}

/**
 * The tag to name for a parse failure: the element whose length runs past the end of the file,
 * else the last element read before the parser gave up.
 */
function culprit(partial: DataSet | undefined, fileLength: number): string | null {
  if (!partial) return null;
  let last: { tag: string; dataOffset: number } | null = null;
  for (const element of Object.values(partial.elements)) {
    if (element.dataOffset + element.length > fileLength && element.length !== 0xffffffff)
      return formatTag(element.tag);
    if (!last || element.dataOffset > last.dataOffset) last = element;
  }
  return last ? formatTag(last.tag) : null;
}

/** 'x00100010' → '(0010,0010)', as DICOM writes tags. */
function formatTag(tag: string): string {
  const hex = tag.replace(/^x/, '').toUpperCase();
  return `(${hex.slice(0, 4)},${hex.slice(4, 8)})`;
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
