/**
 * No source file is over MAX_LINES lines (issue 16): a file that long does more than one thing,
 * and is split along its seams instead. Generated test fixtures are data, not code, and are left out.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
/** The limit STYLE.md and the helpers' brief set for a source file. */
const MAX_LINES = 300;
const SOURCE = /\.(ts|vue|js|mjs)$/;
const GENERATED = 'tests/fixtures/generated/';

/** Lines as `wc -l` counts them: a last line without a newline still counts. */
function lineCount(text: string): number {
  return text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

it(`no tracked source file is over ${MAX_LINES} lines`, () => {
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0');
  const sources = tracked.filter((file) => SOURCE.test(file) && !file.startsWith(GENERATED));
  expect(sources.length).toBeGreaterThan(0);
  const long = sources
    .map((file) => ({ file, lines: lineCount(readFileSync(path.join(root, file), 'utf8')) }))
    .filter(({ lines }) => lines > MAX_LINES)
    .map(({ file, lines }) => `${file}: ${lines} lines`);
  expect(long, `files over ${MAX_LINES} lines; split them by responsibility`).toEqual([]);
});
