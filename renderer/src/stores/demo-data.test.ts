import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { LoupeError, type ReplyOf } from '../../../contract/index';
import { setLoupeClient } from '../client/index';
import { fakeClient } from '../testing/fake-client';
import { useBatchStore } from './batch';
import { useDemoDataStore } from './demo-data';
import { useLabelTasksStore } from './label-tasks';

beforeEach(() => setActivePinia(createPinia()));

function addedIn(folder: string, sep: string): ReplyOf<'workspace.addDemoData'> {
  return {
    folder,
    inboxFolder: `${folder}${sep}inbox`,
    inboxTruth: `${folder}${sep}inbox-truth.csv`,
    taskId: 1,
    taskName: 'Parts (demo)',
    segmentationTaskId: 2,
    segmentationTaskName: 'Defects (demo)',
    detectionTaskId: 3,
    detectionTaskName: 'Defect boxes (demo)',
    verificationTaskId: 4,
    verificationTaskName: 'Washers (demo)',
    washers: { train: 6, val: 2, test: 2 },
    shotsPerWasher: 6,
    washerReferencesFolder: `${folder}${sep}washer-references`,
    classes: ['defect', 'ok'],
    splits: { train: 14, val: 3, test: 3 },
    inbox: 10,
    inboxDefects: 2,
  };
}

const task = (id: number, name: string) => ({ id, name }) as ReplyOf<'labels.tasks'>['tasks'][number];

describe('useDemoDataStore', () => {
  it('adds the demo data, then shows the new images and tasks', async () => {
    const client = fakeClient({
      'workspace.addDemoData': () => addedIn('/ws/demo-data', '/'),
      'imaging.list': () => ({ items: [], total: 20 }) as never,
      'labels.tasks': () => ({ tasks: [task(1, 'Parts (demo)'), task(2, 'Defects (demo)')] }),
    });
    setLoupeClient(client);
    const demo = useDemoDataStore();
    await demo.add();
    expect(demo.added?.taskName).toBe('Parts (demo)');
    expect(demo.adding).toBe(false);
    expect(client.calls.map((c) => c.channel)).toEqual(['workspace.addDemoData', 'imaging.list', 'labels.tasks']);
    expect(useLabelTasksStore().tasks.map((t) => t.name)).toEqual(['Parts (demo)', 'Defects (demo)']);
  });

  it('shows why it could not add them, and still shows what the workspace holds', async () => {
    const client = fakeClient({
      'workspace.addDemoData': () => {
        throw new LoupeError('CONFLICT', 'This workspace already has the tasks "Parts (demo)" and "Defects (demo)".');
      },
      'imaging.list': () => ({ items: [], total: 0 }) as never,
      'labels.tasks': () => ({ tasks: [] }),
    });
    setLoupeClient(client);
    const demo = useDemoDataStore();
    await demo.add();
    expect(demo.added).toBeNull();
    expect(demo.error).toMatch(/already has the tasks/);
    expect(client.calls.map((c) => c.channel)).toContain('imaging.list');
  });

  it.each([
    ['/ws/demo-data', '/'],
    ['C:\\ws\\demo-data', '\\'],
  ])('fills the Batch form in with the inbox of %s', async (folder, sep) => {
    setLoupeClient(
      fakeClient({
        'workspace.addDemoData': () => addedIn(folder, sep),
        'imaging.list': () => ({ items: [], total: 20 }) as never,
        'labels.tasks': () => ({ tasks: [] }),
      }),
    );
    const demo = useDemoDataStore();
    await demo.add();
    demo.predictInbox();
    const { draft } = useBatchStore();
    expect(draft.inputs).toEqual([`${folder}${sep}inbox`]);
    expect(draft.out).toBe(`${folder}${sep}inbox-predictions`);
  });
});
