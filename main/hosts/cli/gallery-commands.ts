/**
 * `loupe gallery enrol | list | remove`: a verification model's gallery of reference images,
 * headless. With --model no workspace is needed, so a server can build the gallery that
 * `loupe predict --gallery` then matches against; the Train section's Gallery shows the same one.
 */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  GALLERY_LABEL_SOURCES,
  isLoupeError,
  type GalleryLabelSource,
  type GalleryListing,
  type RequestOf,
} from '../../../contract/index';
import type { CliContext } from './context';
import { progressLine } from './progress';
import { batchModelOf, EXIT_BAD_INPUT, EXIT_SOME_FAILED, fail } from './fail';

interface ModelOptions {
  workspace?: string;
  run?: string;
  model?: string;
  json?: boolean;
}

/** The model the options name, with the workspace opened where it is a run's. */
async function modelOf(cli: CliContext, o: ModelOptions): Promise<RequestOf<'batch.gallery'>['model']> {
  const model = batchModelOf(o);
  if ('runId' in model) await cli.invoke('workspace.open', { path: path.resolve(o.workspace!), create: false });
  return model;
}

function printGallery(gallery: GalleryListing): void {
  const n = gallery.references.length;
  console.log(
    `${n} reference${n === 1 ? '' : 's'} in the gallery of ${gallery.modelDir} (decision threshold ${gallery.threshold.toFixed(4)})`,
  );
  for (const r of gallery.references) console.log(`${r.label || '(no label)'}\t${r.id}\t${r.enrolledAt}`);
}

/** Bad input the services refuse (a missing path, a model that is not a verifier) exits 2, as a usage error. */
async function badInputAware<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isLoupeError(error) && ['INVALID_REQUEST', 'NOT_FOUND', 'NOT_A_WORKSPACE'].includes(error.code))
      fail(error.message, EXIT_BAD_INPUT, 'loupe.badInput');
    throw error;
  }
}

function labelSource(value: string): GalleryLabelSource {
  if (!(GALLERY_LABEL_SOURCES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`one of ${GALLERY_LABEL_SOURCES.join(', ')}.`);
  return value as GalleryLabelSource;
}

const withModel = (command: Command): Command =>
  command
    .option('--workspace <folder>', 'the workspace holding --run')
    .option('--run <run>', 'a completed verification run')
    .option('--model <folder>', 'a Loupe model folder of a verification model (no workspace needed)')
    .option('--json', 'print the result as JSON');

export function registerGalleryCommands(program: Command, context: () => CliContext): void {
  const gallery = program
    .command('gallery')
    .description(
      "A verification model's gallery of reference images, which `loupe predict --gallery` and the Batch section match against.",
    );

  withModel(
    gallery
      .command('enrol')
      .alias('enroll')
      .description(
        'Enrol every image file under the paths (recursively; the first frame of each) as a reference; a file enrolled again is replaced.',
      )
      .usage('(--workspace W --run RUN | --model DIR) PATH… [--label folder|file] [--json]')
      .argument('<paths...>', 'image files and folders of reference images')
      .option(
        '--label <source>',
        "each reference's label: folder (the name of its file's folder, default: a folder per identity) or file (its file name without extension)",
        labelSource,
        'folder',
      ),
  ).action(async (paths: string[], o: ModelOptions & { label: GalleryLabelSource }) => {
    const cli = context();
    const bar = progressLine('enrol');
    const reply = await badInputAware(async () =>
      cli.invoke(
        'batch.galleryEnrol',
        { model: await modelOf(cli, o), inputs: paths.map((p) => path.resolve(p)), label: o.label },
        (p) => bar.update(p.done, p.total),
      ),
    ).finally(() => bar.done());
    if (o.json) console.log(JSON.stringify(reply, null, 2));
    else {
      for (const { path: file, reason } of reply.failures) console.error(`failed     ${file}: ${reason}`);
      const n = reply.gallery.references.length;
      console.log(
        `${reply.enrolled} reference${reply.enrolled === 1 ? '' : 's'} enrolled, ${reply.failures.length} failed; the gallery of ${reply.gallery.modelDir} holds ${n}.`,
      );
    }
    if (reply.failures.length > 0)
      fail(
        `${reply.failures.length} file${reply.failures.length === 1 ? '' : 's'} could not be enrolled (listed ${o.json ? 'in the JSON' : 'above'} with why).`,
        EXIT_SOME_FAILED,
        'loupe.someFailed',
      );
  });

  withModel(gallery.command('list').description('The references in the gallery, a line each: label, id, enrolled at.'))
    .usage('(--workspace W --run RUN | --model DIR) [--json]')
    .action(async (o: ModelOptions) => {
      const cli = context();
      const listing = await badInputAware(async () => cli.invoke('batch.gallery', { model: await modelOf(cli, o) }));
      if (o.json) console.log(JSON.stringify(listing, null, 2));
      else printGallery(listing);
    });

  withModel(
    gallery.command('remove').description('Remove references from the gallery, by id (as `list` prints them), or all.'),
  )
    .usage('(--workspace W --run RUN | --model DIR) (--id ID… | --all) [--json]')
    .option('--id <ids...>', 'the ids of the references to remove')
    .option('--all', 'remove every reference')
    .action(async (o: ModelOptions & { id?: string[]; all?: boolean }) => {
      if ((o.id === undefined) === (o.all === undefined))
        fail('give either --id ID… or --all.', EXIT_BAD_INPUT, 'loupe.badInput');
      const cli = context();
      const remove = o.all ? { all: true as const } : { ids: o.id! };
      const listing = await badInputAware(async () =>
        cli.invoke('batch.galleryRemove', { model: await modelOf(cli, o), remove }),
      );
      if (o.json) console.log(JSON.stringify(listing, null, 2));
      else printGallery(listing);
    });
}
