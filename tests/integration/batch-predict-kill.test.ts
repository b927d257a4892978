/**
 * Exactly once under kill -9: `loupe predict` is SIGKILLed at random moments after rows appeared
 * (several times, resumes killed too), then `--resume` finishes the folder. Every image must be
 * in the results once (no duplicate, no gap, no torn line), with the same rows as a run never
 * interrupted.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  imageFolder,
  readCsv,
  readManifestLines,
  trainTinyClassifier,
  type ImageFolder,
} from '../helpers/batch-predict';
import { MAX_GROUP_FRAMES } from '../../main/services/batch/frame-inputs';
import { LOUPE_BIN, REPO_ROOT, runCli } from '../helpers/cli';
import type { TrainedModel } from '../helpers/engine-training';
import { requireBuild } from '../helpers/services';

/**
 * Ten of a batch run's commits (a tiny model's groups: MAX_GROUP_FRAMES files each): a run still has
 * hundreds of files to go when the first kill comes (with 300 files and commits of 64, a run could
 * finish before it).
 */
const IMAGES = 10 * MAX_GROUP_FRAMES;
/** Kills, each after at least this many more files were committed, then a random wait of up to KILL_JITTER_MS. */
const KILL_AFTER = [1, 30, 30, 30];
const KILL_JITTER_MS = 150;
const POLL_MS = 10;

let root: string;
let model: TrainedModel;
let folder: ImageFolder;

beforeAll(async () => {
  requireBuild();
  root = mkdtempSync(path.join(os.tmpdir(), 'loupe-batch-kill-'));
  model = await trainTinyClassifier();
  folder = imageFolder(path.join(root, 'images'), IMAGES);
}, 600_000);
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  if (model) rmSync(model.root, { recursive: true, force: true });
});

function committed(out: string): number {
  const file = path.join(out, 'manifest.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0;
}

/** Starts `loupe predict` and SIGKILLs it once `after` more files are committed and a random wait passed; resolves how many were committed by then. */
function predictThenKill(
  args: string[],
  out: string,
  after: number,
): Promise<{ killed: boolean; committedBefore: number }> {
  const before = committed(out);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOUPE_BIN, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let killed = false;
    const poll = setInterval(() => {
      if (killed || committed(out) < before + after) return;
      killed = true;
      clearInterval(poll);
      setTimeout(() => child.kill('SIGKILL'), Math.random() * KILL_JITTER_MS);
    }, POLL_MS);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      if (signal === 'SIGKILL') resolve({ killed: true, committedBefore: before });
      // 0, or 1 when the unreadable files were among those this run did.
      else if (code === 0 || code === 1) resolve({ killed: false, committedBefore: before });
      else reject(new Error(`loupe predict exited with ${code}: ${stderr}`));
    });
  });
}

describe('loupe predict killed with SIGKILL', () => {
  it('resumes to one row per image, the rows of an uninterrupted run', async () => {
    const straight = path.join(root, 'straight');
    const base = ['predict', '--model', model.modelDir, '--in', folder.root];
    expect((await runCli([...base, '--out', straight], { timeoutMs: 600_000 })).code).toBe(1); // 1: the two unreadable files

    const out = path.join(root, 'killed');
    let kills = 0;
    for (const [i, after] of KILL_AFTER.entries()) {
      const run = await predictThenKill([...base, '--out', out, ...(i > 0 ? ['--resume'] : [])], out, after);
      console.log(
        `[batch kill] run ${i}: ${run.killed ? 'killed' : 'finished'} with ${committed(out)} files committed (${run.committedBefore} before it)`,
      );
      if (run.killed) kills++;
    }
    expect(kills).toBeGreaterThan(0);
    const finish = await runCli([...base, '--out', out, '--resume'], { timeoutMs: 600_000 });
    expect([0, 1], finish.stderr).toContain(finish.code);

    const manifest = readManifestLines(out);
    const total = IMAGES + folder.unreadable.length;
    expect(manifest).toHaveLength(total);
    expect(new Set(manifest.map((m) => m.path)).size).toBe(total);
    const { rows } = readCsv(out);
    const paths = rows.map((r) => r[0]!).sort();
    expect(paths).toEqual(folder.images);
    const sorted = (rs: string[][]) => rs.map((r) => r.join(',')).sort();
    expect(sorted(rows)).toEqual(sorted(readCsv(straight).rows));
    const jsonl = readFileSync(path.join(out, 'predictions.jsonl'), 'utf8');
    expect(jsonl.endsWith('\n')).toBe(true);
    expect(
      jsonl
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { path: string }).path)
        .sort(),
    ).toEqual(folder.images);
  }, 900_000);

  it('stops at Ctrl+C with exit code 130, and --resume finishes', async () => {
    const out = path.join(root, 'interrupted');
    const args = ['predict', '--model', model.modelDir, '--in', folder.root, '--out', out];
    const stopped = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [LOUPE_BIN, ...args], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const poll = setInterval(() => {
        if (committed(out) === 0) return;
        clearInterval(poll);
        child.kill('SIGINT');
      }, POLL_MS);
      child.on('error', reject);
      child.on('close', (code) => {
        clearInterval(poll);
        resolve({ code, stderr });
      });
    });
    expect(stopped.stderr).toMatch(/^loupe: cancelled; finish with the same command and --resume\.$/m);
    expect(stopped.code).toBe(130);
    expect(committed(out)).toBeLessThan(IMAGES);
    const finish = await runCli([...args, '--resume'], { timeoutMs: 600_000 });
    expect([0, 1], finish.stderr).toContain(finish.code);
    expect(finish.stderr).not.toMatch(/MaxListenersExceeded/);
    expect(
      readCsv(out)
        .rows.map((r) => r[0])
        .sort(),
    ).toEqual(folder.images);
  }, 600_000);
});
