import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { LoupeError, type RequestOf } from '../../../contract/index';
import { setLoupeClient } from '../client/index';
import { fakeClient } from '../testing/fake-client';
import { useImageRemovalStore } from './image-removal';

beforeEach(() => setActivePinia(createPinia()));

describe('useImageRemovalStore', () => {
  it('asks again when runs trained on the image, then removes it anyway and refreshes the grid', async () => {
    const asked: RequestOf<'imaging.remove'>[] = [];
    setLoupeClient(
      fakeClient({
        'imaging.remove': (r) => {
          asked.push(r);
          if (!r.evenIfTrained) throw new LoupeError('CONFLICT', 'Run r1 trained on one of these images. …');
          return { removed: 1, notFound: 0, maskFilesDeleted: 0, thumbnailsDeleted: 1, trainedOn: [] };
        },
        'imaging.list': () => ({ items: [], total: 0 }) as never,
      }),
    );
    const removal = useImageRemovalStore();
    removal.ask(7);
    expect(await removal.confirm()).toBe(false);
    expect(removal.usedByRuns).toMatch(/Run r1 trained on/);
    expect(removal.asking).toBe(7);
    expect(await removal.confirm()).toBe(true);
    expect(asked.map((r) => [r.imageIds, r.evenIfTrained])).toEqual([
      [[7], false],
      [[7], true],
    ]);
    expect(removal.asking).toBeNull();
  });

  it('shows any other failure as an error and removes nothing more', async () => {
    setLoupeClient(
      fakeClient({
        'imaging.remove': () => {
          throw new LoupeError('CONFLICT', 'Run r2 is training and reads the workspace images.');
        },
      }),
    );
    const removal = useImageRemovalStore();
    removal.ask(3);
    expect(await removal.confirm()).toBe(false);
    expect(removal.usedByRuns).toBeNull();
    expect(removal.error).toMatch(/is training/);
  });
});
