import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ImageRecord, ImportReport } from '../../../contract/index';
import { setLoupeClient } from '../client/index';
import { fakeClient } from '../testing/fake-client';
import { useImagesStore } from './images';
import { useViewerStore } from './viewer';

beforeEach(() => setActivePinia(createPinia()));

const record: ImageRecord = {
  id: 7,
  sha256: 'f'.repeat(64),
  path: '/data/ct/1.dcm',
  fileName: '1.dcm',
  format: 'dicom',
  fileSize: 1000,
  rows: 2,
  columns: 2,
  frames: 3,
  modality: 'CT',
  patientId: 'P1',
  importedAt: '2026-01-01T00:00:00.000Z',
  missing: false,
};

describe('useImagesStore', () => {
  it('streams import progress, keeps the report and reloads the list', async () => {
    const report: ImportReport = { imported: 1, duplicates: 0, skipped: 0, failed: 1, cancelled: false, files: [] };
    const seen: number[] = [];
    const client = fakeClient({
      'imaging.import': () => report,
      'imaging.list': () => ({ total: 1, items: [record] }),
    });
    const invoke = client.invoke.bind(client);
    client.invoke = (async (channel: never, request: never, options?: { onProgress?: (p: unknown) => void }) => {
      options?.onProgress?.({
        phase: 'importing',
        done: 1,
        total: 2,
        imported: 1,
        duplicates: 0,
        skipped: 0,
        failed: 0,
      });
      return invoke(channel, request);
    }) as typeof client.invoke;
    setLoupeClient(client);
    const store = useImagesStore();
    const promise = store.importPaths(['/data/ct']);
    expect(store.importing).toBe(true);
    seen.push(store.progress?.done ?? -1);
    await promise;
    expect(store.report).toEqual(report);
    expect(store.images).toEqual([record]);
    expect(store.importing).toBe(false);
    expect(client.calls.map((c) => c.channel)).toEqual(['imaging.import', 'imaging.list']);
  });

  it('shows an import that failed outright', async () => {
    setLoupeClient(
      fakeClient({
        'imaging.import': () => {
          throw new Error('Open or create a workspace first.');
        },
        'imaging.list': () => ({ total: 0, items: [] }),
      }),
    );
    const store = useImagesStore();
    expect(await store.importPaths(['/x'])).toBeNull();
    expect(store.error).toBe('Open or create a workspace first.');
  });

  it('words a relink: what was found, nothing to do, or why it could not look', async () => {
    const replies = [
      { scanned: 12, relinked: 1, stillMissing: 2 },
      { scanned: 0, relinked: 0, stillMissing: 0 },
    ];
    setLoupeClient(
      fakeClient({ 'imaging.relink': () => replies.shift()!, 'imaging.list': () => ({ total: 1, items: [record] }) }),
    );
    const store = useImagesStore();
    expect(await store.relink('/mnt/archive')).toBe('1 image relinked; 2 still missing (12 files checked).');
    expect(await store.relink('/mnt/archive')).toBe('No image of this workspace is missing: nothing to relink.');
  });
});

describe('useViewerStore', () => {
  it('opens the middle frame with the file window and keeps a dragged window across frames', async () => {
    const info = { ...record, windows: [{ center: 40, width: 400 }] };
    const pixels = (frame: number) => ({
      id: 7,
      frame,
      rows: 2,
      columns: 2,
      samplesPerPixel: 1,
      photometricInterpretation: 'MONOCHROME2',
      rescaleSlope: 1,
      rescaleIntercept: 0,
      modalityUnit: 'HU',
      windows: info.windows,
      minValue: 0,
      maxValue: 3,
      data: new Int16Array([0, 1, 2, 3]),
    });
    const client = fakeClient({
      'imaging.get': () => ({ record, info: info as never }),
      'imaging.frame': (request) => pixels(request.frame ?? 0),
    });
    setLoupeClient(client);
    const viewer = useViewerStore();
    await viewer.open(7);
    expect(viewer.frame).toBe(1);
    expect(viewer.window).toEqual({ center: 40, width: 400 });
    viewer.setWindow({ center: 10, width: 20 });
    await viewer.showFrame(2);
    expect(viewer.window).toEqual({ center: 10, width: 20 });
    expect(viewer.pixels?.frame).toBe(2);
  });
});

describe('useImagesStore thumbnails', () => {
  const png = (id: number) => ({ id, mime: 'image/png', bytes: new Uint8Array([id]) });

  it('asks only for the tiles on screen when the call goes out, one call at a time', async () => {
    const replies: (() => void)[] = [];
    const client = fakeClient({
      'imaging.thumbnails': (request) =>
        new Promise((resolve) => replies.push(() => resolve({ thumbnails: request.ids.map(png) }))),
    });
    setLoupeClient(client);
    const store = useImagesStore();
    store.requestThumbnails([1, 2, 3]);
    // A fast scroll: two screens pass while the first call is out, then the grid stops on [7, 8, 3].
    store.requestThumbnails([4, 5]);
    store.requestThumbnails([7, 8, 3]);
    expect(client.calls.length).toBe(1);
    replies.shift()!();
    await vi.waitFor(() => expect(client.calls.length).toBe(2));
    replies.shift()!();
    await vi.waitFor(() => expect(store.thumbnails.size).toBe(5));
    expect(client.calls.map((c) => (c.request as { ids: number[] }).ids)).toEqual([
      [1, 2, 3],
      [7, 8],
    ]);
    // Cached tiles are never asked for again.
    store.requestThumbnails([1, 2, 3, 7, 8]);
    expect(client.calls.length).toBe(2);
  });

  it('drops a reply that arrives after the workspace closed', async () => {
    const replies: (() => void)[] = [];
    const client = fakeClient({
      'imaging.thumbnails': (request) =>
        new Promise((resolve) => replies.push(() => resolve({ thumbnails: request.ids.map(png) }))),
    });
    setLoupeClient(client);
    const store = useImagesStore();
    store.requestThumbnails([1, 2]);
    store.dehydrate();
    // The next workspace's grid asks for its own image 1 while the old call is still out.
    store.requestThumbnails([1]);
    replies.shift()!();
    await vi.waitFor(() => expect(client.calls.length).toBe(2));
    expect(store.thumbnails.size).toBe(0);
    replies.shift()!();
    await vi.waitFor(() => expect([...store.thumbnails.keys()]).toEqual([1]));
  });
});
