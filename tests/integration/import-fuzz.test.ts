/**
 * The import fuzz at CI size (`npm run fuzz` runs 10,000 files): mutated DICOM, PNG, JPEG, TIFF,
 * COCO, YOLO and CSV files through the real import services. Every file imports or is refused
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
import { FuzzWorkspace } from '../fuzz/workspace';
import { requireBuild } from '../helpers/services';

/** A different seed from `npm run fuzz`'s default, so CI covers other mutants than a local full run. */
const CI_SEED = 20_261_204;
/** 50 rounds of FORMAT_CYCLE: 150 DICOM files and 50 of each other format. */
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
    expect(Object.keys(report.counts).sort()).toEqual(['coco', 'csv', 'dicom', 'jpeg', 'png', 'tiff', 'yolo']);
    const total = Object.values(report.counts).reduce((n, c) => n + c.imported + c.refused + c.findings, 0);
    expect(total).toBe(CI_FILES);
  });

  it('refuses damaged files of every format with a named reason and imports what is still valid', () => {
    for (const [format, c] of Object.entries(report.counts)) {
      expect(c.refused, format).toBeGreaterThan(0);
      expect(c.imported, format).toBeGreaterThan(0);
    }
  });

  it('has no findings: no crash, internal error, hang, unclear message, memory blow-up or changed workspace', () => {
    expect(report.findings, formatReport(report)).toEqual([]);
  });
});
