import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCheckpoint, writeCheckpoint } from './checkpoint';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-ckpt-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('checkpoint files', () => {
  it('round-trips state and arrays bit for bit, whatever the header length', async () => {
    for (const note of ['', 'x', 'xy', 'xyz']) {
      const file = path.join(dir, `c${note.length}.bin`);
      const arrays = [
        {
          name: 'weight:conv_1/kernel',
          shape: [3, 3, 1, 2],
          values: Float32Array.from({ length: 18 }, (_, i) => Math.sin(i) * 1e-3),
        },
        { name: 'slot:conv_1/kernel:m', shape: [2], values: Float32Array.from([Number.MIN_VALUE, -0]) },
      ];
      await writeCheckpoint(file, { nextEpoch: 3, note }, arrays);
      const back = await readCheckpoint<{ nextEpoch: number; note: string }>(file);
      expect(back.state).toEqual({ nextEpoch: 3, note });
      expect(back.arrays).toEqual(arrays);
    }
    expect(readdirSync(dir).every((f) => !f.endsWith('.tmp'))).toBe(true);
  });

  it('says what is wrong with a missing, foreign or truncated file', async () => {
    await expect(readCheckpoint(path.join(dir, 'none.bin'))).rejects.toThrow(
      /stopped before finishing its first epoch/,
    );
    writeFileSync(path.join(dir, 'foreign.bin'), 'PNG not a checkpoint at all');
    await expect(readCheckpoint(path.join(dir, 'foreign.bin'))).rejects.toThrow(/damaged \(not a Loupe checkpoint\)/);
    const good = path.join(dir, 'good.bin');
    await writeCheckpoint(good, {}, [{ name: 'w', shape: [4], values: new Float32Array(4) }]);
    const bytes = readFileSync(good);
    writeFileSync(path.join(dir, 'cut.bin'), bytes.subarray(0, bytes.length - 3));
    await expect(readCheckpoint(path.join(dir, 'cut.bin'))).rejects.toThrow(/damaged \(w runs past the end\)/);
  });
});
