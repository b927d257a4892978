/**
 * 3D NIfTI label maps as masks per frame, against nibabel: an MSD / nnU-Net dataset of volumes
 * (imagesTr/x_0000.nii.gz beside labelsTr/x.nii.gz) imports one mask per slice, and slice k's mask
 * equals nibabel's `dataobj[:, :, k].T` of the label map voxel for voxel — the orientation Loupe
 * reads the image's slices in. A training dataset pairs frame k's pixels (nibabel's slice k of the
 * image) with frame k's mask; an image + mask export writes the frames as x_f00k.png, which import
 * back. A label map whose grid, orientation, spacing or placement differs from its image's is
 * refused by name.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabelTask } from '../../contract/index';
import { buildTaskDataset } from '../../main/services/training/task-dataset';
import { readTrainingFrame } from '../../ml/decode/frame-reader';
import { labelsWorkspace } from '../helpers/labels-services';
import { runReference } from '../helpers/python-reference';

const X = 10;
const Y = 7;
const Z = 6;
const ZOOMS = [0.8, 0.6, 3];
/** The slice of case_a's label map left empty: it must still be stored, as an all-background mask. */
const EMPTY_SLICE = 2;

interface Case {
  name: string;
  dtype?: string;
  z?: number;
  codes?: string;
  form?: 'sform' | 'qform';
  zooms?: number[];
  offset?: number[];
  labels?: number[];
  values?: number[];
}
type Reference = Record<string, { frames: number[][] }>;

let ctx: Awaited<ReturnType<typeof labelsWorkspace>>;
beforeAll(async () => {
  ctx = await labelsWorkspace([]);
});
afterAll(() => ctx.dispose());

/** Writes the cases with nibabel (gzipped NIfTI-1) and returns what nibabel reads back from each file. */
function writeVolumes(root: string, cases: Case[]): Reference {
  for (const c of cases) mkdirSync(path.dirname(path.join(root, c.name)), { recursive: true });
  return runReference<Reference>('nibabel_volumes.py', {
    dir: root,
    cases: cases.map((c, seed) => ({
      shape: [X, Y, c.z ?? Z],
      dtype: c.dtype ?? 'uint8',
      version: 1,
      gzip: true,
      endian: '<',
      zooms: c.zooms ?? ZOOMS,
      affine_codes: c.codes ?? 'LPS',
      form: c.form ?? 'sform',
      seed: seed + 1,
      ...c,
    })),
  });
}

/** Voxels a[i, j, k] in C order: class (i + 2j + k) mod 3, with slice EMPTY_SLICE all background. */
function labelVoxels(): number[] {
  const out: number[] = [];
  for (let i = 0; i < X; i++)
    for (let j = 0; j < Y; j++) for (let k = 0; k < Z; k++) out.push(k === EMPTY_SLICE ? 0 : (i + 2 * j + k) % 3);
  return out;
}

const LABELS = { labels: { background: 0, liver: 1, tumour: 2 } };
const taskNamed = async (name: string): Promise<LabelTask | undefined> =>
  (await ctx.call('labels.tasks', {})).tasks.find((t) => t.name === name);
const images = async () => (await ctx.call('imaging.list', { offset: 0, limit: 1000 })).items;
const imageAt = async (file: string) => (await images()).find((i) => i.path === file)!;

describe('3D NIfTI label maps as masks per frame', () => {
  const root = () => path.join(ctx.dir, 'Task20_Volumes');
  let reference: Reference;
  let task: LabelTask;

  it('imports one mask per slice, each equal to nibabel’s slice of the label map, empty slices included', async () => {
    reference = writeVolumes(root(), [
      { name: 'imagesTr/case_a_0000', dtype: 'int16' },
      { name: 'labelsTr/case_a', values: labelVoxels() },
      // The qform path (no sform), oriented RAS: the affine Loupe compares is built from the quaternion.
      { name: 'imagesTr/case_b_0000', dtype: 'int16', codes: 'RAS', form: 'qform' },
      { name: 'labelsTr/case_b', codes: 'RAS', form: 'qform', labels: [0, 1, 2] },
    ]);
    writeFileSync(path.join(root(), 'dataset.json'), JSON.stringify(LABELS));
    const report = await ctx.call('labels.import', { format: 'image-mask', path: root(), taskName: 'Volumes' });
    expect(report).toMatchObject({ imagesAdded: 2, images: 2, imported: { masks: 2 * Z }, skippedTotal: 0 });
    task = (await taskNamed('Volumes'))!;
    // A task made from 3D label maps trains on every frame (the default, the first, would be slice 0 alone).
    expect(task.frames).toBe('all');
    expect(task.classes.map((c) => [c.name, c.maskIndex])).toEqual([
      ['liver', 1],
      ['tumour', 2],
    ]);
    for (const name of ['case_a', 'case_b']) {
      const image = await imageAt(path.join(root(), 'imagesTr', `${name}_0000.nii.gz`));
      for (let k = 0; k < Z; k++) {
        const labels = await ctx.call('labels.get', { taskId: task.id, imageId: image.id, frame: k });
        expect(labels.frame).toBe(k);
        expect(labels.maskFrames).toEqual([...Array(Z).keys()]);
        expect([labels.mask!.width, labels.mask!.height]).toEqual([X, Y]);
        expect(Array.from(labels.mask!.data)).toEqual(reference[`labelsTr/${name}`]!.frames[k]);
      }
    }
    const empty = reference['labelsTr/case_a']!.frames[EMPTY_SLICE]!;
    expect(empty.every((v) => v === 0)).toBe(true);
  });

  it('trains frame k on frame k’s mask: with all frames, each sample’s pixels and mask are nibabel’s slice k', async () => {
    await ctx.call('labels.assignSplits', {
      taskId: task.id,
      fractions: { train: 1, val: 0, test: 0 },
      groupBy: { kind: 'image' },
      seed: 1,
    });
    const built = await buildTaskDataset(ctx.services.workspaces.require(), task.id);
    expect(built.dataset.samples).toHaveLength(2 * Z);
    for (const sample of built.dataset.samples) {
      if (!('frameIndex' in sample.image)) throw new Error('expected a file sample');
      const k = sample.image.frameIndex;
      const { imageId, path: file } = built.images.get(sample.id)!;
      const name = path.basename(file).replace('_0000.nii.gz', '');
      expect(sample.id).toBe(`${imageId}:${k}`);
      // Class indices: 0 background, then liver, tumour in task order — the label values here.
      expect(Array.from(sample.mask!.data)).toEqual(reference[`labelsTr/${name}`]!.frames[k]);
      const pixels = await readTrainingFrame(file, k);
      expect(Array.from(pixels.data)).toEqual(reference[`imagesTr/${name}_0000`]!.frames[k]);
    }

    await ctx.call('labels.setTaskFrames', { taskId: task.id, frames: 'middle' });
    const middle = await buildTaskDataset(ctx.services.workspaces.require(), task.id);
    const centre = Math.floor(Z / 2);
    for (const sample of middle.dataset.samples) {
      const { imageId, path: file } = middle.images.get(sample.id)!;
      expect(sample.id).toBe(String(imageId));
      expect(sample.image).toMatchObject({ frameIndex: centre });
      const name = path.basename(file).replace('_0000.nii.gz', '');
      expect(Array.from(sample.mask!.data)).toEqual(reference[`labelsTr/${name}`]!.frames[centre]);
    }
  });

  it('saves a mask on one frame only, and trains that frame alone: left out with first, one sample with all', async () => {
    const image = await imageAt(path.join(root(), 'imagesTr', 'case_a_0000.nii.gz'));
    const created = await ctx.call('labels.createTask', {
      name: 'One slice',
      kind: 'segmentation',
      classes: [{ name: 'liver' }],
    });
    const data = new Uint8Array(X * Y).fill(1);
    const saved = await ctx.call('labels.save', {
      taskId: created.id,
      imageId: image.id,
      saveId: 'one-slice',
      baseRevision: 0,
      frame: 3,
      mask: { width: X, height: Y, data },
    });
    expect(saved.revision).toBe(1);
    const labels = await ctx.call('labels.get', { taskId: created.id, imageId: image.id, frame: 3 });
    expect(labels.maskFrames).toEqual([3]);
    expect((await ctx.call('labels.get', { taskId: created.id, imageId: image.id })).mask).toBeNull();
    await expect(ctx.call('labels.get', { taskId: created.id, imageId: image.id, frame: Z })).rejects.toThrow(
      new RegExp(`This image has ${Z} frames \\(0 to ${Z - 1}\\); there is no frame ${Z}`),
    );
    await ctx.call('labels.assignSplits', {
      taskId: created.id,
      fractions: { train: 1, val: 0, test: 0 },
      groupBy: { kind: 'image' },
      seed: 1,
    });
    const ws = ctx.services.workspaces.require();
    await expect(buildTaskDataset(ws, created.id)).rejects.toThrow(
      /1 images whose masks are not on the frame the task trains on \(first\)/,
    );
    await ctx.call('labels.setTaskFrames', { taskId: created.id, frames: 'all' });
    const built = await buildTaskDataset(ws, created.id);
    expect(built.dataset.samples.map((s) => [s.id, s.image])).toEqual([
      [String(image.id), { path: image.path, frameIndex: 3 }],
    ]);
    expect(built.report.skipped).toEqual([{ reason: 'frames without a mask (unlabelled frames)', count: Z - 1 }]);
  });

  it('exports image + mask folders with one PNG per frame (x_f000.png …) that import back frame for frame', async () => {
    const out = path.join(ctx.dir, 'export-volumes');
    const exported = await ctx.call('labels.export', { taskId: task.id, format: 'image-mask', out });
    expect(exported.exported.masks).toBe(2 * Z);
    // Export names are relative to the images' common folder, so the masks sit under it.
    const written = readdirSync(path.join(out, 'masks'), { recursive: true }).map(String);
    for (let k = 0; k < Z; k++) {
      const name = written.find((f) => f.endsWith(`case_a_0000_f${String(k).padStart(3, '0')}.png`))!;
      const png = path.join(out, 'masks', name);
      const meta = await sharp(png).metadata();
      expect([meta.width, meta.height, meta.channels, meta.depth]).toEqual([X, Y, 1, 'uchar']);
      const { data } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      expect(Array.from(data)).toEqual(reference['labelsTr/case_a']!.frames[k]);
    }
    const before = (await images()).length;
    const back = await ctx.call('labels.import', { format: 'image-mask', path: out, taskName: 'Volumes again' });
    expect(back).toMatchObject({ imagesAdded: 0, imported: { masks: 2 * Z }, skippedTotal: 0 });
    expect((await images()).length).toBe(before);
    const again = (await taskNamed('Volumes again'))!;
    const image = await imageAt(path.join(root(), 'imagesTr', 'case_b_0000.nii.gz'));
    for (let k = 0; k < Z; k++) {
      const labels = await ctx.call('labels.get', { taskId: again.id, imageId: image.id, frame: k });
      expect(Array.from(labels.mask!.data)).toEqual(reference['labelsTr/case_b']!.frames[k]);
    }
  });

  it('refuses a COCO export of masks on frames other than the first, naming the format that keeps them', async () => {
    const out = path.join(ctx.dir, 'export-coco');
    await expect(ctx.call('labels.export', { taskId: task.id, format: 'coco', out })).rejects.toThrow(
      /2 images have masks on frames other than the first .* Export as image-mask/,
    );
  });

  it('refuses label maps whose voxel grid, orientation, spacing or placement differ from their image’s', async () => {
    const bad = path.join(ctx.dir, 'Task21_Mismatch');
    writeVolumes(bad, [
      { name: 'imagesTr/grid', dtype: 'int16' },
      { name: 'labelsTr/grid', z: Z - 1, labels: [0, 1] },
      { name: 'imagesTr/turned', dtype: 'int16' },
      { name: 'labelsTr/turned', codes: 'RAS', labels: [0, 1] },
      { name: 'imagesTr/spacing', dtype: 'int16' },
      { name: 'labelsTr/spacing', zooms: [0.8, 0.6, 2.5], labels: [0, 1] },
      { name: 'imagesTr/moved', dtype: 'int16' },
      { name: 'labelsTr/moved', offset: [-10, 20, 7], labels: [0, 1] },
    ]);
    writeFileSync(path.join(bad, 'dataset.json'), JSON.stringify(LABELS));
    const before = (await images()).length;
    const refused = ctx.call('labels.import', { format: 'image-mask', path: bad, taskName: 'Mismatch' });
    await expect(refused).rejects.toThrow(/4 malformed labels, so nothing was imported/);
    const message = await refused.catch((e: Error) => e.message);
    expect(message).toMatch(
      /labelsTr\/grid\.nii\.gz: is 10×7×5 voxels but its image imagesTr\/grid\.nii\.gz is 10×7×6/,
    );
    expect(message).toMatch(/labelsTr\/turned\.nii\.gz: is oriented RAS but its image imagesTr\/turned\.nii\.gz LPS/);
    expect(message).toMatch(
      /labelsTr\/spacing\.nii\.gz: has voxels of 0\.8×0\.6×2\.5 mm but its image imagesTr\/spacing\.nii\.gz 0\.8×0\.6×3 mm/,
    );
    expect(message).toMatch(/labelsTr\/moved\.nii\.gz: has a voxel-to-world affine .* up to 1\.5 mm from its image/);
    expect((await images()).length).toBe(before);
    expect(await taskNamed('Mismatch')).toBeUndefined();
  });
});
