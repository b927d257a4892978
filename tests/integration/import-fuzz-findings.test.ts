/**
 * Files the import fuzz found Loupe mishandling (`npm run fuzz`, seed 1), rebuilt from their
 * seed and case index, each imported again through labels.import: now refused with a named
 * reason in plain words, and the workspace unchanged.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCorpus, type Corpus } from '../fuzz/corpus';
import { mutantFor, type LabelMutant } from '../fuzz/mutant';
import { unclearMessage } from '../fuzz/verdict';
import { FuzzWorkspace } from '../fuzz/workspace';
import { requireBuild } from '../helpers/services';

const SEED = 1;
let dir: string;
let ws: FuzzWorkspace;
let corpus: Corpus;

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-fuzz-findings-'));
  ws = await FuzzWorkspace.create(dir);
  corpus = await loadCorpus();
}, 120_000);

afterAll(async () => {
  await ws?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function labelCase(index: number): LabelMutant {
  const m = mutantFor(corpus, SEED, index);
  if (!('bundle' in m)) throw new Error(`case ${index} is not a label file`);
  return m;
}

const text = (m: LabelMutant, file: string): string => Buffer.from(m.bundle.files.get(file) ?? []).toString('utf8');

/** Imports the case's files and returns the refusal; fails if it imported or the workspace changed. */
async function refusal(m: LabelMutant): Promise<{ code: string; message: string }> {
  const folder = path.join(dir, `case-${m.index}`);
  for (const [name, bytes] of m.bundle.files) {
    mkdirSync(path.dirname(path.join(folder, name)), { recursive: true });
    writeFileSync(path.join(folder, name), bytes);
  }
  const before = ws.snapshot();
  const reply = await ws.call('labels.import', {
    format: m.format,
    path: path.join(folder, m.bundle.entry),
    taskName: `finding ${m.index}`,
  });
  expect(ws.snapshot()).toBe(before);
  if (reply.ok) throw new Error(`case ${m.index} imported`);
  return reply;
}

describe('fuzz findings, fixed', () => {
  it('a YOLO data.yaml whose names skip an index is refused by name (was TypeError: reading "trim")', async () => {
    const m = labelCase(5918);
    expect(m.bundle.files.has('classes.txt')).toBe(false);
    expect(text(m, 'data.yaml')).toBe('names:\n  0: crack\n  2: dent\n');
    const { code, message } = await refusal(m);
    expect(code).toBe('INVALID_REQUEST');
    expect(message).toBe(
      'data.yaml gives no name for class 1: its names must be numbered 0, 1, 2, … without gaps; nothing was imported.',
    );
  });

  it('a COCO file without "images" or an image without "file_name" says which key is missing', async () => {
    const noImages = labelCase(92);
    expect(text(noImages, 'annotations.json')).not.toContain('"images"');
    expect((await refusal(noImages)).message).toMatch(/is not COCO JSON: images is missing$/);
    const noFileName = labelCase(434);
    expect((await refusal(noFileName)).message).toMatch(/is not COCO JSON: images\.1\.file_name is missing$/);
  });

  it('a COCO annotation whose id is an object is named by its position, not "[object Object]"', async () => {
    const m = labelCase(4421);
    const annotations = (JSON.parse(text(m, 'annotations.json')) as { annotations: { id: unknown }[] }).annotations;
    expect(typeof annotations[0]!.id).toBe('object');
    const { message } = await refusal(m);
    expect(message).toContain('annotation #1: ');
    expect(unclearMessage(message)).toBe(false);
  });
});
