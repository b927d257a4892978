/**
 * `npm run fuzz`: the import fuzz at full size, run by vitest so it loads the TypeScript sources
 * (the decode workers come from `npm run build`). Not a test of the suite; it fails only when the
 * run has findings. Options by environment:
 *   FUZZ_SEED (default 1), FUZZ_FILES (default 10000), FUZZ_FIRST (first case, default 0),
 *   FUZZ_FINDINGS (folder for the findings' files, default tests/fixtures/generated/fuzz-findings).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { requireBuild } from '../helpers/services';
import { GENERATED_ROOT } from '../fixtures/imaging/generate';
import { loadCorpus } from './corpus';
import { formatReport } from './report';
import { runFuzz } from './runner';
import { FuzzWorkspace } from './workspace';

const DEFAULT_FILES = 10_000;

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, not "${raw}"`);
  return value;
}

it('import fuzz', async () => {
  requireBuild();
  const seed = envNumber('FUZZ_SEED', 1);
  const files = envNumber('FUZZ_FILES', DEFAULT_FILES);
  const first = envNumber('FUZZ_FIRST', 0);
  const findingsDir = process.env.FUZZ_FINDINGS || path.join(GENERATED_ROOT, 'fuzz-findings');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-fuzz-'));
  const ws = await FuzzWorkspace.create(dir);
  try {
    const corpus = await loadCorpus();
    const report = await runFuzz(ws, corpus, {
      seed,
      files,
      first,
      findingsDir,
      scratch: path.join(dir, 'scratch'),
      onBatch: (done, total) => process.stderr.write(`\r${done}/${total} files`),
    });
    process.stderr.write('\n');
    console.log(formatReport(report));
    if (report.findings.length) console.log(`\nThe findings' files are in ${findingsDir}.`);
    expect(report.findings.length, 'findings').toBe(0);
  } finally {
    await ws.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
