/** readImageBytes and its blocking twin: the same bytes, and the same refusals, for every kind of path. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readImageBytes, readImageBytesSync } from './index';

const dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-read-bytes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, bytes: Uint8Array | string): string => {
  writeFileSync(path.join(dir, name), bytes);
  return path.join(dir, name);
};

/** What a read gives: the bytes, or the refusal's kind and message. */
const outcome = async (read: () => Promise<Uint8Array> | Uint8Array) => {
  try {
    return { bytes: Array.from(await read()) };
  } catch (error) {
    const { name, message, failure } = error as Error & { failure?: string };
    return { name, message, failure };
  }
};

describe('readImageBytesSync', () => {
  const content = Uint8Array.from({ length: 4099 }, (_, i) => (i * 7) & 0xff);
  const regular = file('image.bin', content);
  mkdirSync(path.join(dir, 'folder'));
  symlinkSync(path.join(dir, 'gone.bin'), path.join(dir, 'broken-link.bin'));
  const cases = {
    'a regular file': regular,
    'an empty file': file('empty.bin', ''),
    'a missing file': path.join(dir, 'missing.bin'),
    'a folder': path.join(dir, 'folder'),
    'a broken link': path.join(dir, 'broken-link.bin'),
  };

  for (const [what, target] of Object.entries(cases))
    it(`reads ${what} as readImageBytes does`, async () => {
      const blocking = await outcome(() => readImageBytesSync(target));
      expect(blocking).toEqual(await outcome(() => readImageBytes(target)));
      if (what === 'a regular file') expect(blocking).toEqual({ bytes: Array.from(content) });
      else expect(blocking).toMatchObject({ name: 'DecodeError' });
    });

  it('reads into the buffer its caller gives, of the file’s size', () => {
    const kept = new Uint8Array(8192);
    const bytes = readImageBytesSync(regular, (size) => kept.subarray(0, size));
    expect(bytes.buffer).toBe(kept.buffer);
    expect(Array.from(bytes)).toEqual(Array.from(content));
  });
});
