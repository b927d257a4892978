/**
 * `loupe demo`: Loupe's demo data (synthetic parts, ok or defect) for a first run. With
 * `--workspace`, as the Workspace section's "Add demo data": written into the workspace's folder
 * and imported as the demo tasks. With `--out`, the folder alone, to import or predict on later.
 */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { DEMO_DEFAULTS, DEMO_LIMITS, LoupeError } from '../../../contract/index';
import { writeDemoFolder } from '../../services/demo/demo-folder';
import type { CliContext } from './context';
import { progressLine } from './progress';

function count(name: keyof typeof DEMO_LIMITS): (value: string) => number {
  const { min, max } = DEMO_LIMITS[name];
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`a whole number from ${min} to ${max}.`);
    return n;
  };
}

function seed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 2 ** 31) throw new InvalidArgumentError('a whole number from 0 to 2^31.');
  return n;
}

interface DemoOptions {
  out?: string;
  workspace?: string;
  images: number;
  inbox: number;
  seed: number;
  json?: boolean;
}

/** Writes the folder alone, in this process; Ctrl+C removes what was written. */
async function writeFolder(o: DemoOptions & { out: string }): Promise<void> {
  const controller = new AbortController();
  const interrupt = (): void => controller.abort();
  process.once('SIGINT', interrupt);
  const bar = progressLine('demo');
  try {
    const summary = await writeDemoFolder(
      path.resolve(o.out),
      { images: o.images, inbox: o.inbox, seed: o.seed },
      (done, total) => bar.update(done, total),
      controller.signal,
    );
    bar.done();
    if (o.json) return console.log(JSON.stringify(summary, null, 2));
    const { train, val, test } = summary.splits;
    console.log(
      `wrote ${train + val + test} labelled parts (train ${train}, val ${val}, test ${test}) to ${summary.datasetFolder}`,
    );
    console.log(`wrote ${summary.inbox} unlabelled parts (${summary.inboxDefects} defects) to ${summary.inboxFolder}`);
    const washers = summary.washers!;
    const ids = washers.identities;
    console.log(
      `wrote ${washers.shotsPerWasher} pictures each of ${ids.train + ids.val + ids.test} washers (train ${ids.train}, val ${ids.val}, test ${ids.test}) to ${washers.folder}, and one more of each test washer to ${washers.referencesFolder}`,
    );
    console.log(
      `next: npx loupe labels import --workspace W --format imagefolder --task parts "${summary.datasetFolder}"`,
    );
  } finally {
    bar.done();
    process.removeListener('SIGINT', interrupt);
  }
}

async function addToWorkspace(ctx: CliContext, o: DemoOptions & { workspace: string }): Promise<void> {
  await ctx.invoke('workspace.open', { path: path.resolve(o.workspace), create: true });
  const bar = progressLine('demo');
  const added = await ctx.invoke('workspace.addDemoData', { images: o.images, inbox: o.inbox, seed: o.seed }, (p) =>
    bar.update(p.done, p.total),
  );
  bar.done();
  if (o.json) return console.log(JSON.stringify(added, null, 2));
  const { train, val, test } = added.splits;
  console.log(
    `task "${added.taskName}" (${added.classes.join(', ')}): ${train + val + test} labelled parts (train ${train}, val ${val}, test ${test})`,
  );
  console.log(`task "${added.segmentationTaskName}" (defect masks): the same parts, for a U-Net`);
  console.log(`task "${added.detectionTaskName}" (defect boxes): the same parts, for a detector`);
  const ids = added.washers;
  console.log(
    `task "${added.verificationTaskName}" (washers as classes): ${added.shotsPerWasher} pictures each of ${ids.train + ids.val + ids.test} washers (train ${ids.train}, val ${ids.val}, test ${ids.test}), for a verifier (--kind verification)`,
  );
  console.log(
    `gallery for the verifier: ${added.washerReferencesFolder} (one picture of each test washer; loupe gallery enrol --label file)`,
  );
  console.log(`inbox for a batch run: ${added.inboxFolder} (${added.inbox} parts; classes in ${added.inboxTruth})`);
  console.log(`next: npx loupe train --workspace ${o.workspace} --task "${added.taskName}"`);
}

export function registerDemoCommand(program: Command, context: () => CliContext): void {
  program
    .command('demo')
    .description(
      "Make demo data: synthetic 64x64 grey parts (washers), ok or with a defect (scratch, pit, chip). With --workspace, added to that workspace (created if absent) as a classification task, a segmentation task (the defects' masks) and a detection task (their boxes), with pictures of washers as a task for a verifier; with --out, written to a folder.",
    )
    .option('--workspace <folder>', 'add the demo data to this workspace (its folder gets demo-data/)')
    .option('--out <folder>', 'write the demo folder here instead (new or empty)')
    .option(
      '--images <n>',
      `labelled images, half of each class, split 70/15/15 (default ${DEMO_DEFAULTS.images})`,
      count('images'),
      DEMO_DEFAULTS.images,
    )
    .option(
      '--inbox <n>',
      `unlabelled images for a batch run, one in five a defect (default ${DEMO_DEFAULTS.inbox})`,
      count('inbox'),
      DEMO_DEFAULTS.inbox,
    )
    .option(
      '--seed <n>',
      `seed: the same seed makes the same images (default ${DEMO_DEFAULTS.seed})`,
      seed,
      DEMO_DEFAULTS.seed,
    )
    .option('--json', 'print what was made as JSON')
    .action(async (o: DemoOptions) => {
      if ((o.out === undefined) === (o.workspace === undefined))
        throw new LoupeError(
          'INVALID_REQUEST',
          'Give either --workspace W (add to a workspace) or --out DIR (a folder alone).',
        );
      if (o.out !== undefined) await writeFolder({ ...o, out: o.out });
      else await addToWorkspace(context(), { ...o, workspace: o.workspace! });
    });
}
