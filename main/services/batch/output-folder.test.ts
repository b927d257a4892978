import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openOutput, type BatchHeader, type Finished } from './output-folder';
import { inShard, parseShard, shardOf } from './shard';

const header: BatchHeader = {
  format: 'loupe-batch',
  version: 1,
  modelId: 'run-1',
  weightsSha256: 'a'.repeat(64),
  task: 'classification',
  classes: ['a', 'b'],
  formats: ['csv'],
  shard: null,
  threshold: null,
  createdAt: '2026-01-01T00:00:00.000Z',
};
const headers = new Map([['predictions.csv', 'path,p\r\n']]);

function finished(name: string): Finished {
  return {
    entry: {
      path: `/in/${name}`,
      relative: name,
      size: 1,
      sha256: 'x',
      frames: 1,
      status: 'done',
      modelId: header.modelId,
      weightsSha256: header.weightsSha256,
    },
    rows: new Map([['predictions.csv', `/in/${name},0.5\r\n`]]),
  };
}

let folder: string;
beforeEach(() => {
  folder = path.join(mkdtempSync(path.join(os.tmpdir(), 'loupe-journal-')), 'out');
});
afterEach(() => rmSync(path.dirname(folder), { recursive: true, force: true }));

describe('batch output journal', () => {
  it('cuts rows of uncommitted files and a torn manifest line on resume', async () => {
    const journal = await openOutput(folder, header, false);
    await journal.commit([finished('a'), finished('b')], headers);
    await journal.close();
    // What a kill can leave: rows of a file whose manifest line never came, a torn row, a torn manifest line.
    appendFileSync(path.join(folder, 'predictions.csv'), '/in/c,0.5\r\n/in/d,0.');
    appendFileSync(path.join(folder, 'manifest.jsonl'), '{"path":"/in/c","rel');
    const resumed = await openOutput(folder, header, true);
    expect([...resumed.finished]).toEqual(['/in/a', '/in/b']);
    await resumed.commit([finished('c')], headers);
    await resumed.close();
    expect(readFileSync(path.join(folder, 'predictions.csv'), 'utf8')).toBe(
      'path,p\r\n/in/a,0.5\r\n/in/b,0.5\r\n/in/c,0.5\r\n',
    );
    const lines = readFileSync(path.join(folder, 'manifest.jsonl'), 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { path: string }).path)).toEqual(['/in/a', '/in/b', '/in/c']);
  });

  it('records, for each file of a commit, where every results file ends after its rows', async () => {
    // Several files in one commit (written in one go), two results files, paths of multi-byte characters.
    const withJsonl = new Map([...headers, ['predictions.jsonl', '']]);
    const files = ['ä', 'b', 'Ω-ct', 'd'].map((name) => {
      const f = finished(name);
      f.rows.set('predictions.jsonl', `{"path":"/in/${name}"}\n`);
      return f;
    });
    const journal = await openOutput(folder, header, false);
    await journal.commit(files.slice(0, 3), withJsonl);
    await journal.commit(files.slice(3), withJsonl);
    await journal.close();
    const csv = readFileSync(path.join(folder, 'predictions.csv'));
    const jsonl = readFileSync(path.join(folder, 'predictions.jsonl'));
    const lines = readFileSync(path.join(folder, 'manifest.jsonl'), 'utf8').trimEnd().split('\n');
    const ends = lines.map((l) => (JSON.parse(l) as { ends: Record<string, number> }).ends);
    ['ä', 'b', 'Ω-ct', 'd'].forEach((name, i) => {
      const csvEnd = ends[i]!['predictions.csv']!;
      const jsonlEnd = ends[i]!['predictions.jsonl']!;
      expect(csv.subarray(0, csvEnd).toString().endsWith(`/in/${name},0.5\r\n`)).toBe(true);
      expect(jsonl.subarray(0, jsonlEnd).toString().endsWith(`{"path":"/in/${name}"}\n`)).toBe(true);
    });
    expect(ends.at(-1)).toEqual({ 'predictions.csv': csv.length, 'predictions.jsonl': jsonl.length });
    expect(csv.toString().startsWith('path,p\r\n/in/ä,')).toBe(true);
  });

  it('empties results written before the first manifest line', async () => {
    await (await openOutput(folder, header, false)).close();
    writeFileSync(path.join(folder, 'predictions.csv'), 'path,p\r\n/in/a,0.5\r\n');
    const resumed = await openOutput(folder, header, true);
    expect(resumed.finished.size).toBe(0);
    expect(readFileSync(path.join(folder, 'predictions.csv'), 'utf8')).toBe('');
    await resumed.close();
  });

  it('refuses another model’s folder, and a finished one without --resume', async () => {
    await (await openOutput(folder, header, false)).close();
    await expect(openOutput(folder, { ...header, weightsSha256: 'b'.repeat(64) }, true)).rejects.toThrow(
      /holds results of another model/,
    );
    await expect(openOutput(folder, header, false)).rejects.toThrow(
      /already holds results of this model; run with --resume/,
    );
    await expect(openOutput(folder, { ...header, shard: { index: 0, count: 2 } }, true)).rejects.toThrow(
      /resume it with the same --shard/,
    );
    await expect(openOutput(folder, { ...header, threshold: 0.4 }, true)).rejects.toThrow(
      /was predicted with the model card's threshold; resume it with the same/,
    );
    await expect(openOutput(folder, header, true, ['jsonl'])).rejects.toThrow(
      /holds csv results; resume it with the same --format/,
    );
  });
});

describe('shards', () => {
  it('put every path in exactly one shard, independent of the others', () => {
    const paths = Array.from({ length: 1000 }, (_, i) => `site/${i}.png`);
    const counts = [0, 0, 0, 0];
    for (const p of paths) {
      expect([0, 1, 2, 3].filter((i) => inShard(p, { index: i, count: 4 }))).toEqual([shardOf(p, 4)]);
      counts[shardOf(p, 4)]!++;
    }
    // A hash split: each of 4 shards gets roughly a quarter of 1000 paths.
    for (const n of counts) expect(n).toBeGreaterThan(180);
  });

  it('parse I/N and refuse anything else', () => {
    expect(parseShard('2/5')).toEqual({ index: 2, count: 5 });
    for (const bad of ['5/5', '1', '-1/3', '1/0', 'a/b']) expect(() => parseShard(bad)).toThrow(/--shard is I\/N/);
  });
});
