/**
 * `loupe` usage errors (issue 15, item 16): an unknown command or option, a missing required
 * option, and an unknown task, run, kind, format or split source each exit 2 and list the valid
 * names (for tasks and runs, those of the workspace named). A runtime failure keeps its code.
 * Also `loupe eval --split-source current` (item 12): the images the run trained on are left out
 * and the CLI says how many.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { caller } from '../helpers/labels';
import { realServices } from '../helpers/services';
import { identityWorkspace } from '../helpers/workspace-models';

/** What commander and cli.ts exit with for a wrong command line. */
const EXIT_USAGE = 2;
const PARTS = { identities: 8, viewsPerIdentity: 4, seed: 5, fractions: { train: 0.5, val: 0.25, test: 0.25 } };
/** Evaluating spawns an engine in the CLI process; a margin over what 2 shared cores need. */
const EVAL_TIMEOUT_MS = 120_000;

let dir: string;
let workspace: string;
let runId: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-cli-usage-'));
  workspace = path.join(dir, 'ws');
  const { services, log } = realServices();
  const call = caller(services, log);
  try {
    await call('workspace.open', { path: workspace, create: true });
    const { task } = await identityWorkspace(call, path.join(dir, 'parts'), PARTS);
    const defaults = await call('training.defaults', { taskId: task.id, kind: 'verification' });
    const run = await call('training.start', {
      taskId: task.id,
      kind: 'verification',
      config: { ...defaults.config, epochs: 1 },
    });
    expect((await call('training.watch', { runId: run.runId })).state).toBe('completed');
    runId = run.runId;
    // Split again image by image: the current test split now holds images the run trained on.
    await call('labels.assignSplits', {
      taskId: task.id,
      fractions: PARTS.fractions,
      groupBy: { kind: 'image' },
      seed: 2,
    });
  } finally {
    await services.dispose();
  }
}, EVAL_TIMEOUT_MS);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('usage errors exit 2 with the valid names', () => {
  const out = (): string => path.join(dir, 'eval.json');
  const cases: { name: string; args: () => string[]; lists: () => RegExp }[] = [
    { name: 'an unknown command', args: () => ['evaluate'], lists: () => /loupe commands: .*\btrain\b.*\beval\b/ },
    {
      name: 'an unknown subcommand',
      args: () => ['labels', 'splitt'],
      lists: () => /loupe labels commands: tasks, create-task, .*split/,
    },
    {
      name: 'an unknown option',
      args: () => ['eval', '--workspace', workspace, '--run', runId, '--out', out(), '--splits', 'test'],
      lists: () => /unknown option '--splits'[\s\S]*loupe eval options: .*--split, --split-source/,
    },
    {
      name: 'a missing required option',
      args: () => ['eval', '--workspace', workspace, '--out', out()],
      lists: () => /'--run <run>' not specified[\s\S]*--run \(required\)/,
    },
    {
      name: 'an unknown task',
      args: () => ['train', '--workspace', workspace, '--task', 'Part serial'],
      lists: () => /no task "Part serial" in this workspace; its tasks are: Part serials\./,
    },
    {
      name: 'an unknown run',
      args: () => ['eval', '--workspace', workspace, '--run', 'run-1', '--out', out()],
      lists: () => new RegExp(`no run "run-1" in this workspace .*; its runs are: ${runId}\\.`),
    },
    {
      name: 'an unknown run to resume',
      args: () => ['train', '--workspace', workspace, '--resume', 'run-1'],
      lists: () => new RegExp(`its runs are: ${runId}\\.`),
    },
    {
      name: 'an unknown kind',
      args: () => ['labels', 'create-task', '--workspace', workspace, '--name', 'x', '--kind', 'segment'],
      lists: () => /kind is one of classification, segmentation, detection, verification/,
    },
    {
      name: 'an unknown export format',
      args: () => ['export', '--workspace', workspace, '--run', runId, '--out', out(), '--format', 'coreml'],
      lists: () => /exports onnx.*"coreml" is not one of them/,
    },
    {
      name: 'an unknown split source',
      args: () => ['eval', '--workspace', workspace, '--run', runId, '--out', out(), '--split-source', 'now'],
      lists: () => /a split source is one of run, current/,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const result = await runCli(c.args());
      expect(result.code, result.stderr).toBe(EXIT_USAGE);
      expect(result.stderr).toMatch(c.lists());
    });
  }

  it('keeps the exit code of a runtime failure (a folder that is not a workspace)', async () => {
    const result = await runCli(['eval', '--workspace', path.join(dir, 'parts'), '--run', runId, '--out', out()]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).not.toMatch(/options:|commands:/);
  });
});

describe('loupe eval --split-source', () => {
  it(
    "scores the run's own split by default, and warns of the trained images left out of the current one",
    async () => {
      const own = await runCli(
        ['eval', '--workspace', workspace, '--run', runId, '--out', path.join(dir, 'own.json')],
        {
          timeoutMs: EVAL_TIMEOUT_MS,
        },
      );
      expect(own.code, own.stderr).toBe(0);
      expect(own.stdout).toMatch(/on \d+ test image\(s\) \(as the run trained with it\)/);
      expect(own.stderr).not.toMatch(/warning:/);
      const current = await runCli(
        [
          'eval',
          '--workspace',
          workspace,
          '--run',
          runId,
          '--out',
          path.join(dir, 'now.json'),
          '--split-source',
          'current',
        ],
        { timeoutMs: EVAL_TIMEOUT_MS },
      );
      expect(current.code, current.stderr).toBe(0);
      expect(current.stdout).toMatch(
        /on \d+ test image\(s\) \(as assigned now, without the images the run trained on\)/,
      );
      expect(current.stderr).toMatch(
        /warning: \d+ images? of the current test split w(as|ere) in the run's train split; left out/,
      );
    },
    2 * EVAL_TIMEOUT_MS,
  );
});
