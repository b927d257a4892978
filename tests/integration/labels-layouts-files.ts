/** The image and mask files the layout tests lay out on disk. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encode } from 'fast-png';
import sharp from 'sharp';

/** Makes each image written differ from every other, so none is a duplicate of another. */
let seed = 0;

/** A greyscale PNG whose content differs from every other one written here. */
export async function writeImage(file: string, width = 12, height = 8): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const pixels = Buffer.alloc(width * height);
  seed++;
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 31 + seed * 17) & 0xff;
  writeFileSync(
    file,
    await sharp(pixels, { raw: { width, height, channels: 1 } })
      .png()
      .toBuffer(),
  );
}

export function writeMask(
  file: string,
  width: number,
  height: number,
  value: (x: number, y: number) => number,
): Uint8Array {
  mkdirSync(path.dirname(file), { recursive: true });
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = value(x, y);
  writeFileSync(file, encode({ width, height, data, channels: 1, depth: 8 }));
  return data;
}
