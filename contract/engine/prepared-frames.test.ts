import { describe, expect, it } from 'vitest';
import { MAX_PREDICT_FRAMES, predictRequestSchema } from '../index';
import {
  PACKED_FRAME_VALUES,
  packPreparedFrames,
  packedPreparedFramesSchema,
  unpackPreparedFrames,
  type PreparedFrame,
} from './prepared-frames';

const frames: PreparedFrame[] = [
  { rows: 512, columns: 384, placement: { top: 8, left: 0, height: 48, width: 64 } },
  { rows: 1, columns: 1, placement: { top: 0, left: 0, height: 1, width: 1 } },
  { rows: 70_000, columns: 3, placement: { top: 0, left: 31, height: 64, width: 2 } },
];

describe('prepared frames, packed for predict', () => {
  it('packs six int32 a frame in the documented order and unpacks to the same frames', () => {
    const packed = packPreparedFrames(frames);
    expect(packed).toBeInstanceOf(Int32Array);
    expect(Array.from(packed.subarray(0, PACKED_FRAME_VALUES))).toEqual([512, 384, 8, 0, 48, 64]);
    expect(unpackPreparedFrames(packed)).toEqual(frames);
  });

  it('parses into PreparedFrame objects, and refuses a length, a count or a value out of bounds', () => {
    const schema = packedPreparedFramesSchema(1, 2);
    expect(schema.parse(packPreparedFrames(frames.slice(0, 2)))).toEqual(frames.slice(0, 2));
    const refused = (value: unknown): string => {
      const r = schema.safeParse(value);
      return r.success ? 'accepted' : r.error.issues.map((i) => i.message).join('; ');
    };
    expect(refused(packPreparedFrames(frames))).toMatch(/1 to 2 frames; got 18 values/);
    expect(refused(new Int32Array(0))).toMatch(/got 0 values/);
    expect(refused(new Int32Array(7))).toMatch(/6 values a frame/);
    expect(refused(frames.slice(0, 1))).not.toBe('accepted');
    expect(refused(new Float32Array(6).fill(1))).not.toBe('accepted');
    // Each field at its least is accepted; one below it is named.
    const least = Int32Array.from([1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1]);
    expect(refused(least)).toBe('accepted');
    const names = ['rows', 'columns', 'placement.top', 'placement.left', 'placement.height', 'placement.width'];
    names.forEach((name, i) => {
      const bad = least.slice();
      bad[PACKED_FRAME_VALUES + i]! -= 1;
      expect(refused(bad)).toBe(
        `Frame 2: ${name} is ${bad[PACKED_FRAME_VALUES + i]}; it must be at least ${least[i]}.`,
      );
    });
  });

  it('is what a predict request takes for prepared frames, up to MAX_PREDICT_FRAMES', () => {
    const one = (count: number) => ({
      modelDir: '/m',
      prepared: {
        input: new Float32Array(count),
        frames: packPreparedFrames(Array.from({ length: count }, () => frames[1]!)),
      },
    });
    const parsed = predictRequestSchema.parse(one(2));
    expect(parsed.prepared!.frames).toEqual([frames[1], frames[1]]);
    expect(predictRequestSchema.safeParse(one(MAX_PREDICT_FRAMES)).success).toBe(true);
    expect(predictRequestSchema.safeParse(one(MAX_PREDICT_FRAMES + 1)).success).toBe(false);
    // Frames as objects are not the wire format.
    const asObjects = { modelDir: '/m', prepared: { input: new Float32Array(1), frames: [frames[1]] } };
    expect(predictRequestSchema.safeParse(asObjects).success).toBe(false);
  });
});
