import { describe, expect, it } from 'vitest';
import { NO_FILES_FOUND, type ImportReport } from '../../../contract/index';
import { DISK_FULL_MESSAGE } from '../../../ml/decode/errors';
import { imageTable, reportLines } from './imaging-commands';

describe('loupe import report text', () => {
  it('says a full disk once, not once per file, and keeps the other reasons per file', () => {
    const report: ImportReport = {
      imported: 1,
      duplicates: 0,
      skipped: 0,
      failed: 171,
      cancelled: false,
      stopped: { failure: 'disk-full', message: DISK_FULL_MESSAGE },
      files: [
        { path: '/in/a.png', status: 'imported', imageId: 1 },
        { path: '/in/empty.dcm', status: 'failed', failure: 'empty', message: 'This file is empty (0 bytes).' },
        ...Array.from({ length: 170 }, (_, i) => ({
          path: `/in/${i}.dcm`,
          status: 'failed' as const,
          failure: 'disk-full' as const,
          message: DISK_FULL_MESSAGE,
        })),
      ],
    };
    expect(reportLines(report)).toEqual([
      'failed     /in/empty.dcm: This file is empty (0 bytes).',
      'not imported (disk full): 170 files',
      '1 imported, 0 duplicates skipped, 171 failed.',
    ]);
  });

  it('says why when no file was found at all, rather than a bare "0 imported"', () => {
    const none: ImportReport = { imported: 0, duplicates: 0, skipped: 0, failed: 0, cancelled: false, files: [] };
    expect(reportLines(none)).toEqual([NO_FILES_FOUND, '0 imported, 0 duplicates skipped, 0 failed.']);
    expect(reportLines({ ...none, cancelled: true })).toEqual(['0 imported, 0 duplicates skipped, 0 failed.']);
  });
});

describe('loupe images list table', () => {
  it('prints a header and one tab-separated line per image, an unknown modality as an empty field', () => {
    const sha = 'ab'.repeat(32);
    expect(
      imageTable([
        { id: 3, path: '/in/ct.dcm', sha256: sha, rows: 512, columns: 512, frames: 2, modality: 'CT' },
        { id: 4, path: '/in/a.png', sha256: sha, rows: 4, columns: 6, frames: 1, modality: null },
      ]),
    ).toEqual([
      'id\tpath\tsha256\trows\tcolumns\tframes\tmodality',
      `3\t/in/ct.dcm\t${sha}\t512\t512\t2\tCT`,
      `4\t/in/a.png\t${sha}\t4\t6\t1\t`,
    ]);
  });
});
