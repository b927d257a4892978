import { describe, expect, it } from 'vitest';
import { LastLoaded } from './last-loaded';

class Thing {
  disposed = false;
  constructor(readonly name: string) {}
  dispose(): void {
    this.disposed = true;
  }
}

describe('LastLoaded', () => {
  it('shares a load in progress, and loads again when the folder or its file changed, disposing the last', async () => {
    const kept = new LastLoaded<Thing>();
    let loads = 0;
    const load = (name: string) => async () => new Thing(`${name}#${++loads}`);
    const [a, b] = await Promise.all([kept.get('/m', 1, load('m')), kept.get('/m', 1, load('m'))]);
    expect(b).toBe(a);
    expect(loads).toBe(1);
    const changed = await kept.get('/m', 2, load('m'));
    expect(changed.name).toBe('m#2');
    expect(a.disposed).toBe(true);
    const other = await kept.get('/n', 2, load('n'));
    expect(other.name).toBe('n#3');
    expect(changed.disposed).toBe(true);
  });

  it('keeps no failed load: the next call tries again', async () => {
    const kept = new LastLoaded<Thing>();
    await expect(kept.get('/m', 1, async () => Promise.reject(new Error('damaged')))).rejects.toThrow('damaged');
    await expect(kept.get('/m', 1, async () => new Thing('again'))).resolves.toMatchObject({ name: 'again' });
  });
});
