/**
 * Whether two captures of a step (step-capture.ts) issued the same commands: the same pipelines,
 * grids, offsets, uniform and upload bytes, on buffers that correspond one to one. What JavaScript
 * did in the step then did not depend on the batch, and the second capture can be replayed
 * (step-replay.ts).
 */
import type { Capture, Command } from './step-capture';

/** Buffers that correspond from one capture to another: a's to b's. */
export type Correspondence = Map<GPUBuffer, GPUBuffer>;

export function buffersOf(command: Command): GPUBuffer[] {
  switch (command.kind) {
    case 'bind':
      return command.group.entries.map((e) => e.buffer);
    case 'clear':
    case 'write':
      return [command.buffer];
    case 'copy':
      return [command.from, command.to];
    default:
      return [];
  }
}

/** Every buffer the capture's commands bind, clear, copy or write. */
export function usedBuffers(capture: Capture): Set<GPUBuffer> {
  const used = new Set<GPUBuffer>();
  for (const command of capture.commands) for (const buffer of buffersOf(command)) used.add(buffer);
  return used;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether `a` and `b` issue the same commands apart from the buffers' contents (see above). */
function sameShape(x: Command, y: Command): boolean {
  if (x.kind !== y.kind) return false;
  switch (x.kind) {
    case 'pipeline':
      return x.pipeline === (y as typeof x).pipeline;
    case 'bind': {
      const other = (y as typeof x).group;
      return (
        x.index === (y as typeof x).index &&
        x.group.entries.length === other.entries.length &&
        x.group.entries.every(
          (e, i) =>
            e.binding === other.entries[i]!.binding &&
            e.offset === other.entries[i]!.offset &&
            e.size === other.entries[i]!.size,
        )
      );
    }
    case 'dispatch':
      return x.grid.every((n, i) => n === (y as typeof x).grid[i]);
    case 'clear':
      return x.offset === (y as typeof x).offset && x.size === (y as typeof x).size;
    case 'copy': {
      const o = y as typeof x;
      return x.fromOffset === o.fromOffset && x.toOffset === o.toOffset && x.size === o.size;
    }
    case 'write':
      return x.offset === (y as typeof x).offset && sameBytes(x.bytes, (y as typeof x).bytes);
    default:
      return true;
  }
}

/**
 * The correspondence of a's buffers to b's if both captures issued the same commands, else null.
 * `roles` pairs the inputs that change from step to step (the batch, variables that were assigned);
 * every other buffer that neither capture allocated must be the very same buffer in both.
 */
export function sameCommands(a: Capture, b: Capture, roles: [GPUBuffer, GPUBuffer][]): Correspondence | null {
  if (a.commands.length !== b.commands.length) return null;
  const ab: Correspondence = new Map(roles);
  const ba = new Map(roles.map(([x, y]) => [y, x]));
  const pair = (x: GPUBuffer, y: GPUBuffer): boolean => {
    const known = ab.get(x);
    if (known !== undefined || ba.has(y)) return known === y && ba.get(y) === x;
    if (a.allocated.has(x) !== b.allocated.has(y)) return false;
    if (!a.allocated.has(x) && x !== y) return false;
    ab.set(x, y);
    ba.set(y, x);
    return true;
  };
  for (let i = 0; i < a.commands.length; i++) {
    const x = a.commands[i]!;
    const y = b.commands[i]!;
    if (!sameShape(x, y)) return null;
    const ys = buffersOf(y);
    if (!buffersOf(x).every((buffer, k) => pair(buffer, ys[k]!))) return null;
  }
  return ab;
}
