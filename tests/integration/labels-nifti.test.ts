/**
 * NIfTI through the real services: a volume imports as a multi-frame image with its spacing, and
 * a Medical Segmentation Decathlon / nnU-Net dataset (imagesTr/ + labelsTr/ + dataset.json) imports
 * images and label maps in one call. nibabel writes every file from voxel values this test
 * chooses, so the expected slices and masks come from those values, not from Loupe's reader.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabelTask } from '../../contract/index';
import { Workspace } from '../../main/services/workspace/workspace';
import { runCli } from '../helpers/cli';
import { labelsWorkspace } from '../helpers/labels-services';
import { runReference } from '../helpers/python-reference';
import { requireBuild } from '../helpers/services';

const X = 12;
const Y = 8;
const SLICES = 5;
const ZOOMS = [0.7, 0.9, 2.5];

let ctx: Awaited<ReturnType<typeof labelsWorkspace>>;
beforeAll(async () => {
  requireBuild();
  ctx = await labelsWorkspace([]);
});
afterAll(() => ctx.dispose());

/** Voxels a[i, j, k] = value(i, j, k) in the order the reference script reshapes them (C order). */
function voxels(z: number, value: (i: number, j: number, k: number) => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < X; i++) for (let j = 0; j < Y; j++) for (let k = 0; k < z; k++) out.push(value(i, j, k));
  return out;
}

/** Writes NIfTI files with nibabel under `root` (name = path without .nii / .nii.gz). */
function writeNifti(
  root: string,
  files: { name: string; dtype: string; z: number; value: (i: number, j: number, k: number) => number }[],
) {
  for (const f of files) mkdirSync(path.dirname(path.join(root, f.name)), { recursive: true });
  runReference('nibabel_volumes.py', {
    dir: root,
    cases: files.map((f, seed) => ({
      name: f.name,
      shape: [X, Y, f.z],
      dtype: f.dtype,
      values: voxels(f.z, f.value),
      version: 1,
      gzip: true,
      endian: '<',
      zooms: ZOOMS,
      affine_codes: 'LPS',
      form: 'sform',
      seed,
    })),
  });
}

const ct = (i: number, j: number, k: number): number => i * 100 + j * 10 + k - 500;
/** Liver in the left half, tumour in its top-left corner; case b shifts the boundary. */
const organs =
  (shift: number) =>
  (i: number, j: number): number =>
    i < 6 + shift ? (j < 3 && i < 2 ? 2 : 1) : 0;

const taskNamed = async (name: string): Promise<LabelTask | undefined> =>
  (await ctx.call('labels.tasks', {})).tasks.find((t) => t.name === name);
const imageAt = async (file: string) =>
  (await ctx.call('imaging.list', { offset: 0, limit: 1000 })).items.find((i) => i.path === file);
const imageCount = async (): Promise<number> => (await ctx.call('imaging.list', { offset: 0, limit: 1000 })).total;

describe('NIfTI volumes and label maps', () => {
  it('imports a .nii.gz volume as one frame per slice, with its spacing and stored values', async () => {
    const root = path.join(ctx.dir, 'volume');
    writeNifti(root, [{ name: 'ct', dtype: 'int16', z: SLICES, value: ct }]);
    const file = path.join(root, 'ct.nii.gz');
    const report = await ctx.call('imaging.import', { paths: [file] });
    expect(report).toMatchObject({ imported: 1, failed: 0 });
    const record = (await imageAt(file))!;
    const { info } = await ctx.call('imaging.get', { id: record.id });
    expect(info).toMatchObject({ format: 'nifti', columns: X, rows: Y, frames: SLICES, bitsAllocated: 16 });
    expect(info.pixelSpacing).toEqual([expect.closeTo(ZOOMS[1]!, 5), expect.closeTo(ZOOMS[0]!, 5)]);
    expect(info.attributes.Orientation).toBe('LPS');
    const frame = await ctx.call('imaging.frame', { id: record.id, frame: 3 });
    // Row r, column c of slice k is a[c, r, k] (nibabel's a[:, :, k].T).
    expect(Array.from(frame.data)).toEqual(Array.from({ length: X * Y }, (_, p) => ct(p % X, Math.floor(p / X), 3)));
  });

  it('imports an MSD / nnU-Net dataset in one call: label values become classes named by dataset.json', async () => {
    const root = path.join(ctx.dir, 'Task09_Toy');
    writeNifti(root, [
      { name: 'imagesTr/case_a_0000', dtype: 'int16', z: 1, value: ct },
      { name: 'imagesTr/case_b', dtype: 'int16', z: 1, value: (i, j) => ct(j, i, 0) },
      { name: 'labelsTr/case_a', dtype: 'uint8', z: 1, value: organs(0) },
      { name: 'labelsTr/case_b', dtype: 'int32', z: 1, value: organs(3) },
    ]);
    writeFileSync(
      path.join(root, 'dataset.json'),
      JSON.stringify({ name: 'Toy', labels: { '0': 'background', '1': 'liver', '2': 'tumour' } }),
    );
    const report = await ctx.call('labels.import', { format: 'image-mask', path: root, taskName: 'Toy organs' });
    expect(report).toMatchObject({ imagesAdded: 2, images: 2, imported: { masks: 2 }, skippedTotal: 0 });
    const task = (await taskNamed('Toy organs'))!;
    expect(task.classes.map((c) => [c.name, c.maskIndex])).toEqual([
      ['liver', 1],
      ['tumour', 2],
    ]);
    for (const [name, shift] of [
      ['imagesTr/case_a_0000.nii.gz', 0],
      ['imagesTr/case_b.nii.gz', 3],
    ] as const) {
      const image = (await imageAt(path.join(root, name)))!;
      const labels = await ctx.call('labels.get', { taskId: task.id, imageId: image.id });
      expect([labels.mask!.width, labels.mask!.height]).toEqual([X, Y]);
      expect(Array.from(labels.mask!.data)).toEqual(
        Array.from({ length: X * Y }, (_, p) => organs(shift)(p % X, Math.floor(p / X))),
      );
    }
  });

  it('refuses a label value dataset.json does not name and a 3D label map of a 2D image, before writing anything', async () => {
    const root = path.join(ctx.dir, 'Task10_Bad');
    writeNifti(root, [
      { name: 'imagesTr/vol', dtype: 'int16', z: 1, value: ct },
      { name: 'labelsTr/vol', dtype: 'uint8', z: SLICES, value: (i) => (i < 3 ? 1 : 0) },
      { name: 'imagesTr/flat', dtype: 'int16', z: 1, value: ct },
      { name: 'labelsTr/flat', dtype: 'uint8', z: 1, value: (i) => (i === 0 ? 7 : 1) },
    ]);
    writeFileSync(path.join(root, 'dataset.json'), JSON.stringify({ labels: { background: 0, liver: 1 } }));
    const before = await imageCount();
    const refused = ctx.call('labels.import', { format: 'image-mask', path: root, taskName: 'Bad organs' });
    await expect(refused).rejects.toThrow(/2 malformed labels, so nothing was imported/);
    await expect(refused).rejects.toThrow(
      /labelsTr\/vol\.nii\.gz: is 12×8×5 voxels but its image imagesTr\/vol\.nii\.gz is 12×8×1; a label map must have its image's voxel grid/,
    );
    await expect(refused).rejects.toThrow(/labelsTr\/flat\.nii\.gz: has pixels of value 7, which .* does not name/);
    expect(await imageCount()).toBe(before);
    expect(await taskNamed('Bad organs')).toBeUndefined();
  });
});

describe('NIfTI from the command line', () => {
  it('loupe labels import brings an MSD dataset in with one command, and loupe decode writes a slice', async () => {
    const root = path.join(ctx.dir, 'Task11_Cli');
    writeNifti(root, [
      { name: 'imagesTr/p', dtype: 'int16', z: 1, value: ct },
      { name: 'imagesTr/q', dtype: 'int16', z: 1, value: (i, j) => ct(i, j, 1) },
      { name: 'labelsTr/p', dtype: 'uint8', z: 1, value: organs(0) },
      { name: 'labelsTr/q', dtype: 'uint8', z: 1, value: organs(2) },
      { name: 'volume', dtype: 'int16', z: SLICES, value: ct },
    ]);
    writeFileSync(path.join(root, 'dataset.json'), JSON.stringify({ labels: { background: 0, liver: 1, tumour: 2 } }));
    const ws = path.join(ctx.dir, 'cli-ws');
    Workspace.open(ws, { create: true }).close();
    const imported = await runCli([
      'labels',
      'import',
      '--format',
      'image-mask',
      '--task',
      'Cli',
      root,
      '--workspace',
      ws,
    ]);
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toMatch(/imported 2 masks for 2 images into "Cli" \(new task\)/);
    expect(imported.stdout).toMatch(/added 2 images/);

    const out = path.join(ctx.dir, 'slice.raw');
    const decoded = await runCli(['decode', path.join(root, 'volume.nii.gz'), '--frame', '2', '--out', out, '--json']);
    expect(decoded.code).toBe(0);
    expect(JSON.parse(decoded.stdout)).toMatchObject({ rows: Y, columns: X, frames: SLICES, bitsAllocated: 16 });
    const raw = readFileSync(out);
    const values = Array.from({ length: X * Y }, (_, p) => raw.readInt16LE(2 * p));
    expect(values).toEqual(Array.from({ length: X * Y }, (_, p) => ct(p % X, Math.floor(p / X), 2)));
  });
});
