/**
 * A rule's meaning written out in plain code (the reference), and the SQL Loupe runs checked
 * against it on a table of awkward paths and modalities.
 */
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { imageModality, taskImageSelectionSchema, type TaskImageRule } from '../../../contract/index';
import { parseRule, ruleJson, ruleSql, taskImagesOf } from './image-rule';

interface RuleImage {
  id: number;
  path: string;
  format: string;
  modality: string | null;
}

/** In the folder or below it: the folder's path, then a separator (so /d/chest-old is not under /d/chest). */
function folderContains(folder: string, filePath: string): boolean {
  const key = folder.length > 1 ? folder.replace(/(?<=.)[\\/]+$/, '') : folder;
  if (!filePath.startsWith(key)) return false;
  if (/[\\/]$/.test(key)) return true;
  return /[\\/]/.test(filePath.charAt(key.length));
}

/** One of the folders (if any) and one of the modalities (if any) and one of the classes (if any). */
function matchesRule(image: RuleImage, rule: TaskImageRule, tagged: ReadonlySet<number>): boolean {
  if (rule.folders.length > 0 && !rule.folders.some((f) => folderContains(f, image.path))) return false;
  if (rule.modalities.length > 0 && !rule.modalities.includes(imageModality(image.format, image.modality)))
    return false;
  return rule.classIds.length === 0 || tagged.has(image.id);
}

const rule = (r: object): TaskImageRule => taskImageSelectionSchema.parse({ kind: 'rule', ...r }) as TaskImageRule;

describe('the reference', () => {
  it.each([
    ['/data/chest', '/data/chest/a.png', true],
    ['/data/chest/', '/data/chest/deep/a.png', true],
    ['/data/chest//', '/data/chest/a.png', true],
    ['/data/chest', '/data/chest-old/a.png', false],
    ['/data/chest', '/data/ches', false],
    ['/', '/anything.png', true],
    ['C:\\scans', 'C:\\scans\\a.dcm', true],
    ['C:\\scans', 'C:\\scans2\\a.dcm', false],
    ['C:\\', 'C:\\a.dcm', true],
  ])('%s holds %s: %s', (folder, file, expected) => {
    expect(folderContains(folder, file)).toBe(expected);
  });

  it.each([
    ['dicom', 'CT', 'CT'],
    ['dicom', ' mr ', 'MR'],
    ['dicom', null, 'DICOM'],
    ['dicom', '', 'DICOM'],
    ['png', null, 'PNG'],
    ['tiff', null, 'TIFF'],
  ])('%s with Modality %s is modality %s', (format, modality, expected) => {
    expect(imageModality(format, modality)).toBe(expected);
  });
});

describe('ruleSql selects what the rule means', () => {
  const images: RuleImage[] = [
    { id: 1, path: '/d/chest/a.dcm', format: 'dicom', modality: 'CT' },
    { id: 2, path: '/d/chest/deep/b.dcm', format: 'dicom', modality: ' mr' },
    { id: 3, path: '/d/chest-old/c.dcm', format: 'dicom', modality: 'CT' },
    { id: 4, path: '/d/chest/d.png', format: 'png', modality: null },
    { id: 5, path: '/d/knee/e.tif', format: 'tiff', modality: null },
    { id: 6, path: '/d/knee/f.dcm', format: 'dicom', modality: '' },
    { id: 7, path: '/d/chest', format: 'png', modality: null },
    { id: 8, path: 'C:\\scans\\g.dcm', format: 'dicom', modality: 'CT' },
    { id: 9, path: 'C:\\scans2\\h.png', format: 'png', modality: null },
    { id: 10, path: "/d/it's 100%_/i.png", format: 'png', modality: null },
    { id: 11, path: '/d/🩻 série/j.png', format: 'png', modality: null },
    { id: 12, path: '/d/🩻 série2/k.png', format: 'png', modality: null },
  ];
  const db = new Database(':memory:');
  db.exec('CREATE TABLE images (id INTEGER PRIMARY KEY, path TEXT, format TEXT, modality TEXT)');
  const insert = db.prepare('INSERT INTO images VALUES (@id, @path, @format, @modality)');
  for (const image of images) insert.run(image);
  afterAll(() => db.close());

  const cases: [string, object][] = [
    ['one folder', { folders: ['/d/chest'] }],
    ['a folder with a trailing separator', { folders: ['/d/chest/'] }],
    ['two folders', { folders: ['/d/chest', '/d/knee'] }],
    ['the root', { folders: ['/'] }],
    ['a Windows folder', { folders: ['C:\\scans'] }],
    ['a Windows root', { folders: ['C:\\'] }],
    ['a folder with quote, % and _', { folders: ["/d/it's 100%_"] }],
    ['a folder named with an emoji and accents', { folders: ['/d/🩻 série'] }],
    ['modalities, any case', { modalities: ['ct', 'Tiff'] }],
    ['DICOM without Modality', { modalities: ['DICOM'] }],
    ['MR with spaces in the file', { modalities: ['MR'] }],
    ['folder and modality', { folders: ['/d/chest'], modalities: ['CT', 'PNG'] }],
  ];
  it.each(cases)('%s', (_, r) => {
    const parsed = rule(r);
    const { where, params } = ruleSql(parsed);
    const fromSql = db.prepare(`SELECT id FROM images WHERE ${where} ORDER BY id`).pluck().all(params);
    const expected = images.filter((i) => matchesRule(i, parsed, new Set())).map((i) => i.id);
    expect(fromSql).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
  });

  it('ANDs the criteria and ORs the values (the reference itself)', () => {
    const ids = (r: object, tagged = new Set<number>()) =>
      images.filter((i) => matchesRule(i, rule(r), tagged)).map((i) => i.id);
    expect(ids({ folders: ['/d/chest'] })).toEqual([1, 2, 4]);
    expect(ids({ folders: ['/d/chest'], modalities: ['CT'] })).toEqual([1]);
    expect(ids({ classIds: [7] }, new Set([2, 5]))).toEqual([2, 5]);
    expect(ids({ classIds: [7], folders: ['/d/knee'] }, new Set([2, 5]))).toEqual([5]);
  });
});

describe('choices', () => {
  it('refuses a rule that names nothing, relative folders, an empty list and extra keys', () => {
    expect(taskImageSelectionSchema.safeParse({ kind: 'rule' }).success).toBe(false);
    expect(taskImageSelectionSchema.safeParse({ kind: 'rule', folders: ['chest'] }).success).toBe(false);
    expect(taskImageSelectionSchema.safeParse({ kind: 'list', imageIds: [] }).success).toBe(false);
    expect(taskImageSelectionSchema.safeParse({ kind: 'all', folders: ['/x'] }).success).toBe(false);
  });

  it('round-trip through their stored JSON and report as the task shows them', () => {
    const stored = { kind: 'rule' as const, folders: ['/a'], modalities: ['CT'], classIds: [3] };
    expect(parseRule(ruleJson(stored))).toEqual(stored);
    expect(taskImagesOf('rule', ruleJson(stored), 0)).toEqual(stored);
    expect(taskImagesOf('all', null, 0)).toEqual({ kind: 'all' });
    expect(taskImagesOf('list', null, 12)).toEqual({ kind: 'list', count: 12 });
  });
});
