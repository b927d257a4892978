import { describe, expect, it } from 'vitest';
import { importProgressLine, importSummary, reportProblems } from './import-summary';

describe('import summary wording', () => {
  it('says "duplicate" for one and "duplicates" for others, as the CLI does', () => {
    expect(importSummary({ imported: 56, duplicates: 1, skipped: 0, failed: 12, cancelled: false })).toBe(
      '56 imported, 1 duplicate skipped, 12 failed',
    );
    expect(importSummary({ imported: 0, duplicates: 3, skipped: 0, failed: 0, cancelled: false })).toBe(
      '0 imported, 3 duplicates skipped, 0 failed',
    );
    expect(importSummary({ imported: 2, duplicates: 0, skipped: 0, failed: 1, cancelled: true })).toBe(
      'Import cancelled: 2 imported, 0 duplicates skipped, 1 failed',
    );
  });

  it('names DICOM objects that are not images only when there are some', () => {
    expect(importSummary({ imported: 40, duplicates: 0, skipped: 3, failed: 0, cancelled: false })).toBe(
      '40 imported, 0 duplicates skipped, 3 not an image, 0 failed',
    );
    expect(
      importProgressLine({ phase: 'importing', done: 5, total: 9, imported: 3, duplicates: 0, skipped: 2, failed: 0 }),
    ).toBe('5 of 9 · 3 imported · 0 duplicates · 2 not an image · 0 failed');
  });

  it('says an import stopped by a full disk once, not once per file', () => {
    const stopped = {
      failure: 'disk-full' as const,
      message: 'The disk holding the workspace is full, so the import stopped.',
    };
    expect(importSummary({ imported: 5, duplicates: 0, skipped: 0, failed: 15, cancelled: false, stopped })).toBe(
      'Import stopped: 5 imported, 0 duplicates skipped, 15 failed',
    );
    const files = [
      { path: '/in/a.png', status: 'imported' as const, imageId: 1 },
      {
        path: '/in/empty.dcm',
        status: 'failed' as const,
        failure: 'empty' as const,
        message: 'This file is empty (0 bytes).',
      },
      { path: '/in/b.dcm', status: 'failed' as const, failure: 'disk-full' as const, message: stopped.message },
      {
        path: '/in/c.dcm',
        status: 'failed' as const,
        failure: 'disk-full' as const,
        message: `Not tried: ${stopped.message}`,
      },
    ];
    expect(reportProblems({ files }).map((f) => f.path)).toEqual(['/in/empty.dcm']);
  });

  it('words progress while scanning and while importing', () => {
    expect(
      importProgressLine({ phase: 'scanning', done: 0, total: 40, imported: 0, duplicates: 0, skipped: 0, failed: 0 }),
    ).toBe('Looking for files… 40 found · 0 imported · 0 duplicates · 0 failed');
    expect(
      importProgressLine({ phase: 'importing', done: 5, total: 69, imported: 3, duplicates: 1, skipped: 0, failed: 1 }),
    ).toBe('5 of 69 · 3 imported · 1 duplicate · 1 failed');
  });
});
