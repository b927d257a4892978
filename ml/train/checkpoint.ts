/**
 * Checkpoints: one binary file holding the run state (JSON) and every float array (weights,
 * optimiser slots), written atomically, so a crash leaves the previous checkpoint or the new one.
 *
 * Layout: "LOUPECKP" | u32 format version | u32 header bytes | header JSON (UTF-8) | zero padding
 * to 4 bytes | float32 little-endian arrays, in the header's order.
 */
import { promises as fs } from 'node:fs';
import { LoupeError } from '../../contract/index';
import { writeFileAtomic } from '../../base/atomic-write';
import type { NamedArray } from './parameters';

const MAGIC = 'LOUPECKP';
export const CHECKPOINT_FORMAT_VERSION = 1;

interface Header<State> {
  state: State;
  arrays: { name: string; shape: number[]; length: number }[];
}

export interface CheckpointContents<State> {
  state: State;
  arrays: NamedArray[];
}

export async function writeCheckpoint<State>(file: string, state: State, arrays: readonly NamedArray[]): Promise<void> {
  const header: Header<State> = {
    state,
    arrays: arrays.map((a) => ({ name: a.name, shape: a.shape, length: a.values.length })),
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = 8 + 4 + 4;
  const dataStart = Math.ceil((prefix + headerBytes.length) / 4) * 4;
  const total = dataStart + arrays.reduce((sum, a) => sum + a.values.length * 4, 0);
  const buffer = Buffer.alloc(total);
  buffer.write(MAGIC, 0, 'ascii');
  buffer.writeUInt32LE(CHECKPOINT_FORMAT_VERSION, 8);
  buffer.writeUInt32LE(headerBytes.length, 12);
  headerBytes.copy(buffer, prefix);
  let offset = dataStart;
  for (const array of arrays) {
    const bytes = new Uint8Array(array.values.buffer, array.values.byteOffset, array.values.byteLength);
    // Float32Array is host-endian; every platform Loupe runs on is little-endian.
    buffer.set(bytes, offset);
    offset += bytes.length;
  }
  await writeFileAtomic(file, buffer);
}

export async function readCheckpoint<State>(file: string): Promise<CheckpointContents<State>> {
  let buffer: Buffer;
  try {
    buffer = await fs.readFile(file);
  } catch (error) {
    throw new LoupeError(
      'NOT_FOUND',
      `There is no checkpoint at ${file}: the run stopped before finishing its first epoch. Start it again without resume.`,
      { cause: error },
    );
  }
  const damaged = (why: string): LoupeError =>
    new LoupeError('INVALID_REQUEST', `The checkpoint ${file} is damaged (${why}).`);
  if (buffer.length < 16 || buffer.toString('ascii', 0, 8) !== MAGIC) throw damaged('not a Loupe checkpoint');
  const version = buffer.readUInt32LE(8);
  if (version !== CHECKPOINT_FORMAT_VERSION)
    throw new LoupeError(
      'INVALID_REQUEST',
      `The checkpoint ${file} was written by another Loupe version (format ${version}).`,
    );
  const headerLength = buffer.readUInt32LE(12);
  if (16 + headerLength > buffer.length) throw damaged('header runs past the end');
  const header = JSON.parse(buffer.toString('utf8', 16, 16 + headerLength)) as Header<State>;
  let offset = Math.ceil((16 + headerLength) / 4) * 4;
  const arrays: NamedArray[] = [];
  for (const spec of header.arrays) {
    const end = offset + spec.length * 4;
    if (end > buffer.length) throw damaged(`${spec.name} runs past the end`);
    // Copy into an aligned buffer: the file's bytes need not sit at a 4-byte boundary in memory.
    const values = new Float32Array(spec.length);
    new Uint8Array(values.buffer).set(buffer.subarray(offset, end));
    arrays.push({ name: spec.name, shape: spec.shape, values });
    offset = end;
  }
  return { state: header.state, arrays };
}
