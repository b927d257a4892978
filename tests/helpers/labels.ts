/**
 * Test images for the labels tests. Until the imaging import lands there is no service that adds
 * images, so rows go straight into the images table (migration 002), each backed by a real
 * greyscale PNG written with sharp so paths, sizes and hashes are true.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import sharp from 'sharp';
import { errorFromPayload, type ChannelName, type ReplyOf, type RequestOf } from '../../contract/index';
import { CallSession } from '../../main/services/dispatcher';
import type { Services } from '../../main/services/index';

export interface TestImage {
  /** Relative to the folder given to writeTestImages, e.g. 'patient-1/IM0001.png'. */
  name: string;
  width: number;
  height: number;
  patientId?: string | null;
  metadata?: Record<string, unknown>;
}

/** Writes the PNGs under `folder` and inserts their rows; returns ids in input order. */
export async function addTestImages(
  db: Database.Database,
  folder: string,
  images: readonly TestImage[],
): Promise<number[]> {
  const ids: number[] = [];
  const insert = db.prepare(
    `INSERT INTO images (sha256, path, file_name, format, file_size, rows, columns, frames, samples_per_pixel, bits_allocated,
       bits_stored, pixel_representation, photometric, patient_id, metadata_json, imported_at)
     VALUES (?, ?, ?, 'png', ?, ?, ?, 1, 1, 8, 8, 0, 'MONOCHROME2', ?, ?, ?)`,
  );
  for (const [k, image] of images.entries()) {
    const file = path.join(folder, image.name);
    mkdirSync(path.dirname(file), { recursive: true });
    const pixels = Buffer.alloc(image.width * image.height);
    // Content from the full path, so every test image is a distinct file (images.sha256 is unique).
    const salt = createHash('sha256').update(file).digest();
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7 + salt[i % salt.length]! + k) & 0xff;
    const png = await sharp(pixels, { raw: { width: image.width, height: image.height, channels: 1 } })
      .png()
      .toBuffer();
    writeFileSync(file, png);
    const info = insert.run(
      createHash('sha256').update(png).digest('hex'),
      file,
      path.basename(file),
      png.byteLength,
      image.height,
      image.width,
      image.patientId ?? null,
      JSON.stringify(image.metadata ?? {}),
      new Date().toISOString(),
    );
    ids.push(Number(info.lastInsertRowid));
  }
  return ids;
}

/** Calls a channel through the real dispatcher (validation included) and throws its LoupeError. */
export function caller(services: Services, log?: { lines: string[] }) {
  const session = new CallSession(services.dispatcher);
  let next = 1;
  return async function call<C extends ChannelName>(
    channel: C,
    request: RequestOf<C>,
    onProgress?: (p: unknown) => void,
  ): Promise<ReplyOf<C>> {
    const reply = await session.invoke(channel, `t${next++}`, request, onProgress ?? (() => {}));
    if (!reply.ok) {
      const error = errorFromPayload(reply.error);
      // A bug surfaces as INTERNAL with its details only in the log: put them in the test output.
      if (error.code === 'INTERNAL' && log) error.message += ` [log: ${log.lines.slice(-3).join(' | ')}]`;
      throw error;
    }
    return reply.value as ReplyOf<C>;
  };
}
