/** The metadata panel's rows, in reading order; empty values left out. */
import type { ImageInfo, ImageRecord } from '../../../contract/index';

export function metadataRows(info: ImageInfo, record: ImageRecord): [string, string][] {
  const list: [string, string | number | null][] = [
    ['File', record.fileName],
    ['Path', record.path],
    ['SHA-256', record.sha256],
    ['Format', info.format.toUpperCase()],
    ['Size', `${info.columns} × ${info.rows}${info.frames > 1 ? ` × ${info.frames} frames` : ''}`],
    [
      'Pixels',
      `${info.samplesPerPixel === 3 ? 'RGB' : 'grey'}, ${info.bitsStored} of ${info.bitsAllocated} bits, ${info.pixelRepresentation ? 'signed' : 'unsigned'}`,
    ],
    ['Photometric', info.sourcePhotometricInterpretation],
    ['Transfer syntax', info.transferSyntaxUID],
    ['Modality', info.modality],
    ['Patient ID', info.patientId],
    ['Study UID', info.studyInstanceUid],
    ['Series UID', info.seriesInstanceUid],
    ['SOP Instance UID', info.sopInstanceUid],
    ['Instance number', info.instanceNumber],
    ['Pixel spacing (mm)', info.pixelSpacing ? `${info.pixelSpacing[0]} × ${info.pixelSpacing[1]}` : null],
    [
      'Rescale',
      info.rescaleSlope !== 1 || info.rescaleIntercept !== 0
        ? `× ${info.rescaleSlope} + ${info.rescaleIntercept}${info.modalityUnit ? ` → ${info.modalityUnit}` : ''}`
        : null,
    ],
    [
      'Windows',
      info.windows.map((w) => `${w.name ? `${w.name}: ` : ''}W ${w.width} / L ${w.center}`).join('; ') || null,
    ],
  ];
  // A file attribute named like a row above (a raster's "Format") would show twice and repeat a v-for key.
  const named = new Set(list.map(([key]) => key));
  list.push(...Object.entries(info.attributes).filter(([key]) => !named.has(key)));
  return list
    .filter((entry): entry is [string, string | number] => entry[1] !== null && entry[1] !== '')
    .map(([k, v]) => [k, String(v)]);
}
