/**
 * The import fuzz at CI size (`npm run fuzz` runs 10,000 files): mutated DICOM, PNG, JPEG, TIFF,
 * NIfTI (.nii and .nii.gz), COCO, YOLO and CSV files through the real import services. Every file imports or is refused
 * with a named reason; no crash, internal error, hang, unclear message, memory beyond the bound,
 * or refused label file that changed the workspace. Seeds are fixed so a failure reproduces.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCorpus, type Corpus } from '../fuzz/corpus';
import { FORMAT_CYCLE, mutantFor } from '../fuzz/mutant';
import { formatReport } from '../fuzz/report';
import { runFuzz, type FuzzReport } from '../fuzz/runner';
import { imageVerdict, labelVerdict } from '../fuzz/verdict';
import { FuzzWorkspace } from '../fuzz/workspace';
import { requireBuild } from '../helpers/services';

/** A different seed from `npm run fuzz`'s default, so CI covers other mutants than a local full run. */
const CI_SEED = 20_261_204;
/** 50 rounds of FORMAT_CYCLE: 100 DICOM files and 50 of each other format. */
const CI_FILES = 50 * FORMAT_CYCLE.length;

let dir: string;
let ws: FuzzWorkspace;
let corpus: Corpus;
let report: FuzzReport;

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-fuzz-ci-'));
  ws = await FuzzWorkspace.create(dir);
  corpus = await loadCorpus();
  report = await runFuzz(ws, corpus, { seed: CI_SEED, files: CI_FILES, scratch: path.join(dir, 'scratch') });
}, 300_000);

afterAll(async () => {
  await ws?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('import fuzz (CI size)', () => {
  it('a mutant is rebuilt byte for byte from its seed and case index', () => {
    for (const index of [0, 1, 2, 4, 5, 7, 8, 9 * 7 + 3]) {
      const a = mutantFor(corpus, CI_SEED, index);
      const b = mutantFor(corpus, CI_SEED, index);
      expect(b).toEqual(a);
      expect(mutantFor(corpus, CI_SEED + 1, index)).not.toEqual(a);
    }
  });

  it('mutates seeds of every format and every compressed DICOM syntax', () => {
    const seeds = corpus.images.get('dicom')!.map((s) => s.name.split('.')[1]);
    for (const syntax of ['jpeg-baseline', 'jpeg-lossless', 'jpeg-ls', 'j2k-lossless', 'rle', 'deflated'])
      expect(seeds).toContain(syntax);
    expect(Object.keys(report.counts).sort()).toEqual(['coco', 'csv', 'dicom', 'jpeg', 'nifti', 'png', 'tiff', 'yolo']);
    const nifti = corpus.images.get('nifti')!.map((s) => s.extension);
    expect(nifti).toContain('nii');
    expect(nifti).toContain('nii.gz');
    const total = Object.values(report.counts).reduce((n, c) => n + c.imported + c.refused + c.findings, 0);
    expect(total).toBe(CI_FILES);
  });

  it('refuses damaged files of every format with a named reason and imports what is still valid', () => {
    for (const [format, c] of Object.entries(report.counts)) {
      expect(c.refused, format).toBeGreaterThan(0);
      expect(c.imported, format).toBeGreaterThan(0);
    }
  });

  it('calls crashes, internal errors, hangs, heap exhaustion and leaked internals findings, and named refusals not', () => {
    const failed = (failure: 'internal' | 'timeout' | 'too-large' | 'malformed', message: string) =>
      imageVerdict({ path: '/x.dcm', status: 'failed', failure, message });
    const kind = (v: ReturnType<typeof imageVerdict>) => (v.outcome === 'finding' ? v.kind : v.outcome);
    expect(kind(failed('internal', 'The decoder stopped unexpectedly (exit code 1) on this file.'))).toBe('crash');
    expect(kind(failed('internal', 'Loupe failed to read this file because of an internal error.'))).toBe('internal');
    expect(kind(failed('timeout', 'Decoding took longer than 30 s and was stopped.'))).toBe('hang');
    expect(
      kind(failed('too-large', "Decoding this file needed more than the decoder's 512 MiB of working memory.")),
    ).toBe('memory');
    expect(kind(failed('malformed', "Cannot read properties of undefined (reading 'trim')"))).toBe('unclear-message');
    expect(kind(failed('too-large', 'This image is too large for Loupe.'))).toBe('unclear-message');
    expect(
      kind(
        failed(
          'too-large',
          "This image is 20000×20000 pixels (400 megapixels), more than Loupe's limit of 268 megapixels per frame; it was skipped.",
        ),
      ),
    ).toBe('refused');
    expect(kind(failed('malformed', 'This DICOM file is truncated at byte 5120; it was skipped.'))).toBe('refused');
    expect(kind(imageVerdict({ path: '/x.png', status: 'duplicate', message: 'Same content as a.png.' }))).toBe(
      'imported',
    );
    expect(kind(labelVerdict({ ok: false, code: 'INTERNAL', message: 'Something went wrong inside Loupe.' }, ''))).toBe(
      'internal',
    );
    const nan = {
      ok: false as const,
      code: 'INVALID_REQUEST',
      message: 'line 1: class NaN is not an index of the 2 classes',
    };
    expect(kind(labelVerdict(nan, '0 0.5 0.5'))).toBe('unclear-message');
    expect(kind(labelVerdict(nan, 'NaN 0.5 0.5'))).toBe('refused');
  });

  it('has no findings: no crash, internal error, hang, unclear message, memory blow-up or changed workspace', () => {
    expect(report.findings, formatReport(report)).toEqual([]);
  });
});
