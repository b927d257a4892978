import { describe, expect, it } from 'vitest';
import { imageModality, taskImageSelectionSchema } from '../../../contract/index';
import { folderContains, matchesRule, parseRule, ruleJson, taskImagesOf, type RuleImage } from './image-rule';

const image = (id: number, path: string, format = 'png', modality: string | null = null): RuleImage => ({
  id,
  path,
  format,
  modality,
});

describe('folderContains', () => {
  it.each([
    ['/data/chest', '/data/chest/a.png', true],
    ['/data/chest/', '/data/chest/deep/a.png', true],
    ['/data/chest//', '/data/chest/a.png', true],
    ['/data/chest', '/data/chest-old/a.png', false],
    ['/data/chest', '/data/chest', false],
    ['/data/chest', '/data/ches', false],
    ['/', '/anything.png', true],
    ['C:\\scans', 'C:\\scans\\a.dcm', true],
    ['C:\\scans\\', 'C:\\scans\\b\\a.dcm', true],
    ['C:\\scans', 'C:\\scans2\\a.dcm', false],
    ['C:\\', 'C:\\a.dcm', true],
  ])('%s holds %s: %s', (folder, file, expected) => {
    expect(folderContains(folder, file)).toBe(expected);
  });
});

describe('imageModality', () => {
  it.each([
    ['dicom', 'CT', 'CT'],
    ['dicom', ' mr ', 'MR'],
    ['dicom', null, 'DICOM'],
    ['dicom', '', 'DICOM'],
    ['png', null, 'PNG'],
    ['tiff', null, 'TIFF'],
    ['jpeg', null, 'JPEG'],
  ])('%s with Modality %s is %s', (format, modality, expected) => {
    expect(imageModality(format, modality)).toBe(expected);
  });
});

describe('matchesRule', () => {
  const images = [
    image(1, '/d/chest/a.dcm', 'dicom', 'CT'),
    image(2, '/d/chest/b.dcm', 'dicom', 'MR'),
    image(3, '/d/knee/c.dcm', 'dicom', 'CT'),
    image(4, '/d/chest/d.png'),
    image(5, '/d/knee/e.tif', 'tiff'),
  ];
  const tagged = new Set([2, 3, 4]);
  const ids = (rule: Parameters<typeof matchesRule>[1]) =>
    images.filter((i) => matchesRule(i, rule, tagged)).map((i) => i.id);
  const rule = (r: object) =>
    taskImageSelectionSchema.parse({ kind: 'rule', ...r }) as Parameters<typeof matchesRule>[1];

  it('ORs the values of one criterion and ANDs the criteria', () => {
    expect(ids(rule({ folders: ['/d/chest'] }))).toEqual([1, 2, 4]);
    expect(ids(rule({ modalities: ['CT', 'tiff'] }))).toEqual([1, 3, 5]);
    expect(ids(rule({ folders: ['/d/chest'], modalities: ['ct'] }))).toEqual([1]);
    expect(ids(rule({ folders: ['/d/chest', '/d/knee'], modalities: ['CT', 'PNG'] }))).toEqual([1, 3, 4]);
    expect(ids(rule({ classIds: [7] }))).toEqual([2, 3, 4]);
    expect(ids(rule({ classIds: [7], modalities: ['CT'] }))).toEqual([3]);
  });

  it('refuses a rule that names nothing, and relative folders', () => {
    expect(taskImageSelectionSchema.safeParse({ kind: 'rule' }).success).toBe(false);
    expect(taskImageSelectionSchema.safeParse({ kind: 'rule', folders: ['chest'] }).success).toBe(false);
    expect(taskImageSelectionSchema.safeParse({ kind: 'list', imageIds: [] }).success).toBe(false);
    expect(taskImageSelectionSchema.safeParse({ kind: 'all', folders: ['/x'] }).success).toBe(false);
  });
});

describe('stored rules', () => {
  it('round-trip through their JSON and report as the task shows them', () => {
    const rule = { kind: 'rule' as const, folders: ['/a'], modalities: ['CT'], classIds: [3] };
    expect(parseRule(ruleJson(rule))).toEqual(rule);
    expect(taskImagesOf('rule', ruleJson(rule), 0)).toEqual(rule);
    expect(taskImagesOf('all', null, 0)).toEqual({ kind: 'all' });
    expect(taskImagesOf('list', null, 12)).toEqual({ kind: 'list', count: 12 });
  });
});
