/**
 * The architecture page must name every top-level folder of the repository, so that a newcomer's
 * map never leaves out a room. Hidden folders (.ci, .git) are tooling, not code.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

it('docs/architecture.md names every top-level folder', () => {
  const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n');
  const folders = [...new Set(tracked.filter((file) => file.includes('/')).map((file) => file.split('/')[0] ?? ''))];
  const page = readFileSync(path.join(root, 'docs', 'architecture.md'), 'utf8');
  const unnamed = folders.filter((folder) => !folder.startsWith('.') && !page.includes(`\`${folder}/\``));
  expect(unnamed, 'folders the architecture page does not name').toEqual([]);
});
