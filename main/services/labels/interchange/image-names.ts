/**
 * How label files name images, and how Loupe finds them again. Exports name each image by its
 * path relative to the folder all the task's images share (forward slashes), so two scans called
 * IM0001 in different series stay apart. Imports accept that, any trailing part of the path, the
 * bare file name, or (for YOLO/VOC/mask files named after the image) the name without extension —
 * whichever identifies exactly one image.
 */
import path from 'node:path';
import type { LabeledImage } from '../images';

const posix = (p: string): string => p.replace(/\\/g, '/');
const withoutExtension = (p: string): string => p.replace(/\.[^./]+$/, '');

export class ImageNames {
  private readonly root: string;
  private readonly byKey = new Map<string, LabeledImage[]>();

  constructor(readonly images: readonly LabeledImage[]) {
    this.root = commonFolder(images.map((i) => posix(i.path)));
    for (const image of images) {
      const full = posix(image.path);
      const parts = full.split('/').filter(Boolean);
      // Every trailing part of the path, with and without the extension.
      const keys = new Set<string>();
      for (let k = 0; k < parts.length; k++) {
        const tail = parts.slice(k).join('/');
        keys.add(tail.toLowerCase());
        keys.add(withoutExtension(tail).toLowerCase());
      }
      keys.add(image.fileName.toLowerCase());
      keys.add(withoutExtension(image.fileName).toLowerCase());
      for (const key of keys) {
        const list = this.byKey.get(key);
        if (list) list.push(image);
        else this.byKey.set(key, [image]);
      }
    }
  }

  /**
   * The name exports use: the path relative to the images' common folder, or — when they share
   * none (two disks) — the whole path without its root, which still names each image once.
   */
  exportName(image: LabeledImage): string {
    const full = posix(image.path);
    if (this.root && full.startsWith(`${this.root}/`)) return full.slice(this.root.length + 1);
    return full.replace(/^[A-Za-z]:/, '').replace(/^\/+/, '');
  }

  /**
   * The name CSV files use: the export name while the images share a folder, else the path as
   * Loupe holds it (absolute, leading '/' or drive kept), since a CSV row need not be a relative file.
   */
  csvName(image: LabeledImage): string {
    const full = posix(image.path);
    return this.root && full.startsWith(`${this.root}/`) ? full.slice(this.root.length + 1) : full;
  }

  /** Finds the image a label file names, or says why it cannot. */
  find(name: string): { image: LabeledImage } | { problem: string } {
    const cleaned = posix(name.trim())
      .replace(/^(\.\/)+/, '')
      .replace(/^\/+/, '');
    if (!cleaned) return { problem: 'names no image (empty file name)' };
    const tried = [cleaned, withoutExtension(cleaned)];
    // Absolute paths from another machine: try ever shorter tails.
    const parts = cleaned.split('/');
    for (let k = 1; k < parts.length; k++) tried.push(parts.slice(k).join('/'));
    for (const key of tried) {
      const hits = this.byKey.get(key.toLowerCase());
      if (!hits) continue;
      const unique = [...new Set(hits)];
      if (unique.length === 1) return { image: unique[0]! };
      return {
        problem: `"${name}" matches ${unique.length} images (e.g. ${unique[0]!.path} and ${unique[1]!.path}); use the path relative to the image folder`,
      };
    }
    return { problem: `no image named "${name}" in this workspace` };
  }
}

function commonFolder(paths: readonly string[]): string {
  if (paths.length === 0) return '';
  let common = path.posix.dirname(paths[0]!);
  for (const p of paths) {
    while (common && common !== '/' && !p.startsWith(`${common}/`)) common = path.posix.dirname(common);
  }
  return common === '/' || common === '.' ? '' : common;
}

/** The export name with another extension (YOLO .txt, VOC .xml, mask .png). */
export function renamedAs(exportName: string, extension: string): string {
  return `${withoutExtension(exportName)}${extension}`;
}
