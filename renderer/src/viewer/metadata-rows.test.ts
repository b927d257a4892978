import { describe, expect, it } from 'vitest';
import type { ImageInfo, ImageRecord } from '../../../contract/index';
import { metadataRows } from './metadata-rows';

/** A 16-bit TIFF as the raster decoder (ml/decode/raster.ts) reports it: its attributes repeat "Format". */
const info: ImageInfo = {
  format: 'tiff',
  rows: 96,
  columns: 128,
  frames: 1,
  samplesPerPixel: 1,
  bitsAllocated: 16,
  bitsStored: 16,
  pixelRepresentation: 0,
  photometricInterpretation: 'MONOCHROME2',
  sourcePhotometricInterpretation: 'MONOCHROME2',
  transferSyntaxUID: null,
  rescaleSlope: 1,
  rescaleIntercept: 0,
  modalityUnit: '',
  windows: [],
  patientId: null,
  studyInstanceUid: null,
  seriesInstanceUid: null,
  sopInstanceUid: null,
  modality: null,
  pixelSpacing: null,
  instanceNumber: null,
  attributes: { Format: 'TIFF', Depth: 'ushort', ColourSpace: 'grey16' },
};
const record: ImageRecord = {
  id: 1,
  sha256: 'ab',
  path: '/data/grey16.tif',
  fileName: 'grey16.tif',
  format: 'tiff',
  fileSize: 10,
  rows: 96,
  columns: 128,
  frames: 1,
  modality: null,
  patientId: null,
  importedAt: '2026-01-01T00:00:00Z',
  missing: false,
};

describe('metadata panel rows', () => {
  it('shows each name once (the panel keys its rows by name), empty values left out', () => {
    const rows = metadataRows(info, record);
    const names = rows.map(([name]) => name);
    expect(names.filter((n) => n === 'Format')).toEqual(['Format']);
    expect(new Set(names).size).toBe(names.length);
    expect(rows).toContainEqual(['Depth', 'ushort']);
    expect(names).not.toContain('Patient ID');
    expect(rows).toContainEqual(['Size', '128 × 96']);
  });
});
