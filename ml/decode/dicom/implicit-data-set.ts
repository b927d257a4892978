/**
 * Files whose meta header names an explicit-VR transfer syntax but whose data set is written in
 * implicit VR (some writers, e.g. early highdicom: pydicom's SC_rgb_jpeg.dcm). pydicom and GDCM
 * notice that the first element has no VR and read the data set as implicit VR, keeping the
 * transfer syntax for the pixel encoding; so does Loupe. dicom-parser has no switch for this, so
 * the data set is read here with its building blocks.
 */
import type { ByteArrayParser, Element } from 'dicom-parser';
import dicomParser, { type DataSet } from './parser-lib';

/** dicom-parser exports its DataSet class, but its typings declare only the interface. */
const DataSetClass = (
  dicomParser as unknown as {
    DataSet: new (parser: ByteArrayParser, bytes: Uint8Array, elements: Record<string, Element>) => DataSet;
  }
).DataSet;

const PIXEL_DATA = 'x7fe00010';
const IMPLICIT_LE = '1.2.840.10008.1.2';
const BIG_ENDIAN = '1.2.840.10008.1.2.2';
const DEFLATED = '1.2.840.10008.1.2.1.99';
/** Two-letter VRs of PS3.5 Table 6.2-1, to tell explicit from implicit VR. */
export const VRS = new Set(
  'AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '),
);

/** True when the two bytes after the first data set tag are a VR. */
export function startsWithVr(bytes: Uint8Array, position: number): boolean {
  if (position + 6 > bytes.length) return true;
  return VRS.has(String.fromCharCode(bytes[position + 4]!, bytes[position + 5]!));
}

/** True when the first element, read as implicit VR (tag, 4-byte length), ends inside the file. */
function fitsAsImplicit(bytes: Uint8Array, position: number): boolean {
  if (position + 8 > bytes.length) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset + position, 8);
  return position + 8 + view.getUint32(4, true) <= bytes.length;
}

/**
 * The data set read as implicit VR when the meta header says explicit VR little endian (native or
 * compressed) but the data set has no VRs; null when the file is as its header says.
 */
export function implicitDataSetDespiteHeader(bytes: Uint8Array): DataSet | null {
  const meta = dicomParser.readPart10Header(bytes) as DataSet & { position: number };
  const syntax = (meta.string('x00020010') ?? '').replace(/[\0\s]+$/g, '');
  if (!syntax || syntax === IMPLICIT_LE || syntax === BIG_ENDIAN || syntax === DEFLATED) return null;
  if (startsWithVr(bytes, meta.position) || !fitsAsImplicit(bytes, meta.position)) return null;
  const stream = new dicomParser.ByteStream(dicomParser.littleEndianByteArrayParser, bytes, meta.position);
  const dataSet = new DataSetClass(stream.byteArrayParser, bytes, {});
  dataSet.warnings = stream.warnings;
  try {
    // Stop at Pixel Data: read as implicit VR, encapsulated fragments would pass for sequence items.
    dicomParser.parseDicomDataSetImplicit(dataSet, stream, bytes.length, { untilTag: PIXEL_DATA });
    const pixels = dataSet.elements[PIXEL_DATA];
    if (pixels) {
      if (pixels.hadUndefinedLength) {
        dicomParser.findEndOfEncapsulatedElement(stream, pixels, dataSet.warnings);
      } else {
        stream.seek(pixels.length);
      }
      // dicom-parser's own loop checks this after every element; stopping at Pixel Data skipped it.
      if (stream.position > bytes.length) throw 'dicomParser: buffer overrun';
      if (stream.position < bytes.length) dicomParser.parseDicomDataSetImplicit(dataSet, stream, bytes.length);
    }
  } catch (exception) {
    // The shape dicom-parser's own parseDicom throws, so the caller names the element the same way.
    throw { exception, dataSet };
  }
  Object.assign(dataSet.elements, meta.elements);
  return dataSet;
}
