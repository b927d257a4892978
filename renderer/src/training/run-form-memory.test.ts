import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { effectScope, nextTick, ref } from 'vue';
import { trainingConfigSchema, type LabelTask } from '../../../contract/index';
import { setLoupeClient } from '../client/index';
import { fakeClient } from '../testing/fake-client';
import { memoryStorage } from '../testing/memory-storage';
import { useTrainingStore } from '../stores/training';
import { STORAGE_PREFIX } from '../stores/stored-ref';
import { runFormKey, useRememberedRunForm } from './use-remembered-run-form';

const config = trainingConfigSchema.parse({
  task: 'classification',
  model: { architecture: 'small-cnn' },
  preprocessing: { rows: 32, columns: 32 },
  loss: { name: 'cross-entropy' },
  epochs: 20,
});
const task: LabelTask = {
  id: 4,
  name: 'Lesion',
  kind: 'classification',
  multiLabel: false,
  frames: 'first',
  images: { kind: 'all' },
  createdAt: '2026-01-01T00:00:00Z',
  classes: [],
};

function client(tasks: LabelTask[]) {
  return fakeClient({
    'labels.tasks': () => ({ tasks }),
    'training.runs': () => ({ runs: [] }),
    'training.defaults': ({ taskId }) =>
      ({
        taskId,
        taskName: 'Lesion',
        kind: 'classification',
        config,
        dataset: {},
        architectures: [],
        cores: 2,
      }) as never,
  });
}

/** The Train section opened on a workspace: the store hydrated and the form's memory attached. */
async function openForm(tasks: LabelTask[]) {
  setActivePinia(createPinia());
  setLoupeClient(client(tasks));
  const taskId = ref<number | ''>('');
  const trainAs = ref<'classifier' | 'verification'>('classifier');
  const scope = effectScope();
  scope.run(() => useRememberedRunForm(ref('/data/ws'), taskId, trainAs));
  const training = useTrainingStore();
  await training.hydrate('/data/ws');
  return { training, taskId, trainAs, scope };
}

beforeEach(() => vi.stubGlobal('localStorage', memoryStorage()));
afterEach(() => vi.unstubAllGlobals());

describe('the New run form across a reload', () => {
  it('comes back with its task and edited fields', async () => {
    const first = await openForm([task]);
    expect(first.taskId.value).toBe('');
    first.taskId.value = 4;
    await first.training.chooseTask(4);
    first.training.draft!.epochs = 7;
    first.training.draft!.learningRate = 0.0005;
    await nextTick();
    first.scope.stop();

    const second = await openForm([task]);
    await vi.waitFor(() => expect(second.training.draft?.epochs).toBe(7));
    expect(second.taskId.value).toBe(4);
    expect(second.training.draft?.learningRate).toBe(0.0005);
  });

  it('starts empty when the remembered task is gone, and from the proposal when the saved form no longer fits', async () => {
    localStorage.setItem(
      STORAGE_PREFIX + runFormKey('/data/ws'),
      JSON.stringify({ taskId: 9, trainAs: 'classifier', config }),
    );
    const gone = await openForm([task]);
    await nextTick();
    expect(gone.taskId.value).toBe('');
    gone.scope.stop();

    localStorage.setItem(
      STORAGE_PREFIX + runFormKey('/data/ws'),
      JSON.stringify({ taskId: 4, trainAs: 'classifier', config: { ...config, epochs: -3 } }),
    );
    const invalid = await openForm([task]);
    await vi.waitFor(() => expect(invalid.training.draft).not.toBeNull());
    expect(invalid.taskId.value).toBe(4);
    expect(invalid.training.draft?.epochs).toBe(20);
  });
});
