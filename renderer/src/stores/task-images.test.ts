import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ImageRecord, LabelTask, ReplyOf, TaskImages } from '../../../contract/index';
import { setLoupeClient } from '../client/index';
import { fakeClient } from '../testing/fake-client';
import { useImagesStore } from './images';
import { useLabelGridStore } from './label-grid';
import { useLabelTasksStore } from './label-tasks';
import { useTaskImagesStore } from './task-images';

beforeEach(() => setActivePinia(createPinia()));

const image = (id: number): ImageRecord => ({
  id,
  sha256: String(id),
  path: id < 3 ? `/data/chest/${id}.png` : `/data/knee/${id}.png`,
  fileName: `${id}.png`,
  format: 'png',
  fileSize: 1,
  rows: 8,
  columns: 8,
  frames: 1,
  modality: null,
  patientId: null,
  importedAt: 'now',
  missing: false,
});

const task = (images: TaskImages): LabelTask => ({
  id: 1,
  name: 'Chest',
  kind: 'classification',
  multiLabel: false,
  frames: 'first',
  images,
  createdAt: 'now',
  classes: [],
});

const CHEST: TaskImages = { kind: 'rule', folders: ['/data/chest'], modalities: [], classIds: [] };

/** A server whose summary lists the task's images: 1 and 2 under the chest rule, 1–4 for all. */
function server() {
  let current = task({ kind: 'all' });
  let pendingCount: ((reply: ReplyOf<'labels.countTaskImages'>) => void)[] = [];
  const summary = (id: number) => ({ imageId: id, revision: 0, classIds: [], boxes: 0, labeled: false, split: null });
  const client = fakeClient({
    'labels.tasks': () => ({ tasks: [structuredClone(current)] }),
    'labels.summary': () => ({ images: (current.images.kind === 'all' ? [1, 2, 3, 4] : [1, 2]).map(summary) }),
    'labels.setTaskImages': (r) => {
      if (r.images.kind !== 'rule') throw new Error('this server takes rules only');
      current = task({ kind: 'rule', folders: r.images.folders ?? [], modalities: [], classIds: [] });
      return structuredClone(current);
    },
    'labels.countTaskImages': () => new Promise((resolve) => pendingCount.push(resolve)),
  });
  return {
    client,
    set: (images: TaskImages) => (current = task(images)),
    /** Answers the pending counts last asked first. */
    answerCountsNewestFirst: async (replies: ReplyOf<'labels.countTaskImages'>[]) => {
      const waiting = pendingCount;
      pendingCount = [];
      for (let i = waiting.length - 1; i >= 0; i--) {
        waiting[i]!(replies[i]!);
        await Promise.resolve();
      }
    },
  };
}

describe("the grid and a task's images", () => {
  it("shows only the task's images and moves off an image that left them", async () => {
    const s = server();
    s.set(CHEST);
    setLoupeClient(s.client);
    useImagesStore().images = [1, 2, 3, 4].map(image);
    await useLabelTasksStore().hydrate();
    const grid = useLabelGridStore();
    grid.setCurrent(4);
    await grid.refresh();
    expect(grid.taskImages.map((i) => i.id)).toEqual([1, 2]);
    expect(grid.shownIds).toEqual([1, 2]);
    expect(grid.currentId).toBe(1);
    grid.setCurrent(2);
    expect(grid.step(1)).toBe(false); // 3 and 4 are not the task's images
  });

  it('keeps every image for a task that uses all', async () => {
    setLoupeClient(server().client);
    useImagesStore().images = [1, 2, 3, 4].map(image);
    await useLabelTasksStore().hydrate();
    const grid = useLabelGridStore();
    await grid.refresh();
    expect(grid.shownIds).toEqual([1, 2, 3, 4]);
  });
});

describe('useTaskImagesStore', () => {
  it('keeps only the count of the latest draft, and saving updates the task and the grid', async () => {
    const s = server();
    setLoupeClient(s.client);
    useImagesStore().images = [1, 2, 3, 4].map(image);
    const tasks = useLabelTasksStore();
    await tasks.hydrate();
    const grid = useLabelGridStore();
    await grid.refresh();
    const store = useTaskImagesStore();

    const first = store.countFor(1, { kind: 'rule', folders: ['/data'] });
    const second = store.countFor(1, CHEST);
    // The first draft's reply arrives last: it must not overwrite the second's.
    await s.answerCountsNewestFirst([
      { matching: 4, total: 4, labeledLeftOut: 0 },
      { matching: 2, total: 4, labeledLeftOut: 1 },
    ]);
    await Promise.all([first, second]);
    expect(store.count).toEqual({ matching: 2, total: 4, labeledLeftOut: 1 });

    expect(await store.save(1, CHEST)).toBe(true);
    expect(tasks.current?.images).toEqual(CHEST);
    expect(grid.shownIds).toEqual([1, 2]);
    expect(await store.save(1, { kind: 'all' })).toBe(false);
    expect(store.error).toMatch(/rules only/);
  });
});
