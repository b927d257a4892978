import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { LoupeError, type GalleryListing } from '../../../contract/index';
import { setLoupeClient } from '../client/index';
import { fakeClient } from '../testing/fake-client';
import { useFolderGalleryStore } from '../stores/folder-gallery';

beforeEach(() => setActivePinia(createPinia()));

const listing = (modelDir: string, ids: string[]): GalleryListing => ({
  modelDir,
  threshold: 0.7,
  references: ids.map((id) => ({ id, label: id.split('/').at(-1)!, enrolledAt: '2026-01-01T00:00:00Z' })),
});

describe('a model folder’s gallery in the Batch form', () => {
  it('asks nothing for a folder not named by its full path', async () => {
    const client = fakeClient({});
    setLoupeClient(client);
    const gallery = useFolderGalleryStore();
    await gallery.show('models/verifier');
    expect(gallery.dir).toBeNull();
    expect(client.calls).toEqual([]);
    expect(gallery.error).toBeNull();
  });

  it('enrols a folder’s files into that folder’s gallery, lists what could not be, and removes a reference', async () => {
    let ids = ['/refs/a.png'];
    const client = fakeClient({
      'batch.gallery': (r) => listing('dir' in r.model ? r.model.dir : '', ids),
      'batch.galleryEnrol': (r) => {
        ids = [...ids, '/refs/b.png'];
        return {
          gallery: listing('/models/verifier', ids),
          enrolled: 1,
          failures: [{ path: `${r.inputs[0]}/notes.txt`, reason: 'Not an image Loupe reads.' }],
        };
      },
      'batch.galleryRemove': (r) => {
        const gone = 'ids' in r.remove ? r.remove.ids : ids;
        ids = ids.filter((id) => !gone.includes(id));
        return listing('/models/verifier', ids);
      },
    });
    setLoupeClient(client);
    const gallery = useFolderGalleryStore();
    await gallery.show(' /models/verifier ');
    expect(client.calls[0]).toEqual({ channel: 'batch.gallery', request: { model: { dir: '/models/verifier' } } });
    expect(gallery.listing?.references.map((r) => r.id)).toEqual(['/refs/a.png']);

    expect(await gallery.enrolFiles('/refs', 'file')).toBe(true);
    expect(client.calls[1]!.request).toEqual({ model: { dir: '/models/verifier' }, inputs: ['/refs'], label: 'file' });
    expect(gallery.listing?.references.map((r) => r.id)).toEqual(['/refs/a.png', '/refs/b.png']);
    expect(gallery.failures).toEqual([{ path: '/refs/notes.txt', reason: 'Not an image Loupe reads.' }]);
    expect(gallery.enrolling).toBeNull();

    await gallery.remove(['/refs/a.png']);
    expect(client.calls[2]!.request).toEqual({ model: { dir: '/models/verifier' }, remove: { ids: ['/refs/a.png'] } });
    expect(gallery.listing?.references.map((r) => r.id)).toEqual(['/refs/b.png']);
  });

  it('shows a refusal, and drops a reply for a folder no longer shown', async () => {
    let answer: (v: GalleryListing) => void = () => {};
    setLoupeClient(
      fakeClient({
        'batch.gallery': (r) =>
          'dir' in r.model && r.model.dir === '/models/first'
            ? new Promise<GalleryListing>((resolve) => (answer = resolve))
            : Promise.reject(
                new LoupeError('INVALID_REQUEST', 'A gallery is for verification models; this model does detection.'),
              ),
      }),
    );
    const gallery = useFolderGalleryStore();
    const first = gallery.show('/models/first');
    await gallery.show('/models/detector');
    expect(gallery.error).toBe('A gallery is for verification models; this model does detection.');
    answer(listing('/models/first', ['/refs/a.png']));
    await first;
    expect(gallery.dir).toBe('/models/detector');
    expect(gallery.listing).toBeNull();
  });
});
