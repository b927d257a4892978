import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import {
  DEFAULT_CALIBRATION_IMAGES,
  EXPORT_FORMATS,
  LoupeError,
  type CALIBRATION_METHODS,
  type ExportComparison,
  type ExportFormat,
  type ExportReply,
  type RunExport,
  type RunSummary,
} from '../../../contract/index';
import { loupe, messageOf } from '../client/index';

/** What the section is doing now, for its progress line. */
export interface ExportStep {
  what: 'export' | 'compare';
  format: string | null;
  done: number;
  total: number;
}

/** The folder beside the workspace's own files where a run's bundles go unless the user picks another. */
export function defaultExportFolder(workspacePath: string, runId: string): string {
  const sep = workspacePath.includes('\\') && !workspacePath.includes('/') ? '\\' : '/';
  return `${workspacePath.replace(/[\\/]+$/, '')}${sep}exports${sep}${runId}`;
}

/** The bundle folder of one format inside the chosen folder. */
export function bundleFolder(folder: string, format: string): string {
  const sep = folder.includes('\\') && !folder.includes('/') ? '\\' : '/';
  return `${folder.replace(/[\\/]+$/, '')}${sep}${format}`;
}

/**
 * The Export section: which completed run, which formats and options, the export itself (one
 * bundle per format in the chosen folder, run by the services with progress and cancel), then
 * the run's exports compared (metric, size, speed, parity). A folder that exists is not replaced
 * unless the user says so.
 */
export const useExportStore = defineStore('export', () => {
  const runs = ref<RunSummary[]>([]);
  const runId = ref<string | null>(null);
  const formats = ref<ExportFormat[]>([...EXPORT_FORMATS.filter((f) => f.startsWith('onnx'))]);
  const preprocessing = ref(true);
  const calibration = ref(DEFAULT_CALIBRATION_IMAGES);
  const calibrationMethod = ref<(typeof CALIBRATION_METHODS)[number]>('minmax');
  /** A verification run's enrolled gallery goes into each bundle (its labels leave with it: off by default). */
  const gallery = ref(false);
  const folder = ref('');
  const step = ref<ExportStep | null>(null);
  const results = ref<ExportReply[]>([]);
  const recorded = ref<RunExport[]>([]);
  const comparison = ref<ExportComparison | null>(null);
  const error = ref<string | null>(null);
  /** The folder that exists, when the last export stopped on it: the user may replace it. */
  const conflict = ref<string | null>(null);
  let request: string | null = null;
  let cancelled = false;

  const exportable = computed(() => runs.value.filter((r) => r.state === 'completed'));
  const run = computed(() => exportable.value.find((r) => r.runId === runId.value) ?? null);
  const quantizing = computed(() => formats.value.some((f) => f.includes('int8')));
  const canCompare = computed(() => recorded.value.some((e) => e.modelFile.endsWith('.onnx')));

  async function hydrate(workspacePath: string): Promise<void> {
    error.value = null;
    try {
      runs.value = (await loupe().invoke('training.runs', {})).runs;
    } catch (e) {
      error.value = messageOf(e);
      return;
    }
    const keep = exportable.value.some((r) => r.runId === runId.value);
    await selectRun(keep ? runId.value : (exportable.value[0]?.runId ?? null), workspacePath);
  }

  /** Shows a run: its bundles on disk, and a fresh folder; what was shown for another run goes. */
  async function selectRun(id: string | null, workspacePath: string): Promise<void> {
    runId.value = id;
    results.value = [];
    comparison.value = null;
    conflict.value = null;
    recorded.value = [];
    if (id === null) return;
    folder.value = defaultExportFolder(workspacePath, id);
    try {
      const reply = await loupe().invoke('training.exports', { runId: id });
      if (runId.value === id) recorded.value = reply.exports;
    } catch (e) {
      error.value = messageOf(e);
    }
  }

  function toggleFormat(format: ExportFormat, on: boolean): void {
    formats.value = on
      ? EXPORT_FORMATS.filter((f) => f === format || formats.value.includes(f))
      : formats.value.filter((f) => f !== format);
  }

  async function call<T>(what: ExportStep['what'], format: string | null, work: (id: string) => Promise<T>) {
    request = crypto.randomUUID();
    step.value = { what, format, done: 0, total: 0 };
    try {
      return await work(request);
    } finally {
      request = null;
    }
  }

  /** Exports the chosen formats one after another, then compares the run's exports. */
  async function start(force = false): Promise<boolean> {
    const id = runId.value;
    if (id === null || formats.value.length === 0 || step.value) return false;
    error.value = null;
    conflict.value = null;
    cancelled = false;
    results.value = [];
    comparison.value = null;
    try {
      for (const format of formats.value) {
        if (cancelled) return false;
        const outDir = bundleFolder(folder.value.trim(), format);
        const reply = await call('export', format, (requestId) =>
          loupe().invoke(
            'training.export',
            {
              runId: id,
              outDir,
              format,
              preprocessing: preprocessing.value,
              force,
              calibration: calibration.value,
              calibrationMethod: calibrationMethod.value,
              gallery: gallery.value && run.value?.kind === 'verification',
            },
            { requestId, onProgress: (p) => (step.value = { what: 'export', format, ...p }) },
          ),
        );
        results.value = [...results.value, reply];
      }
      recorded.value = (await loupe().invoke('training.exports', { runId: id })).exports;
      if (!cancelled && canCompare.value) await compareNow();
      return true;
    } catch (e) {
      if (e instanceof LoupeError && e.code === 'CONFLICT') conflict.value = folder.value.trim();
      if (!(e instanceof LoupeError && e.code === 'CANCELLED')) error.value = messageOf(e);
      return false;
    } finally {
      step.value = null;
    }
  }

  async function compareNow(): Promise<void> {
    const id = runId.value;
    if (id === null) return;
    comparison.value = await call('compare', null, (requestId) =>
      loupe().invoke(
        'training.compareExports',
        { runId: id },
        { requestId, onProgress: (p) => (step.value = { what: 'compare', format: null, ...p }) },
      ),
    );
  }

  /** Compares the run's exports on disk without exporting again. */
  async function compare(): Promise<void> {
    if (step.value) return;
    error.value = null;
    cancelled = false;
    try {
      await compareNow();
    } catch (e) {
      if (!(e instanceof LoupeError && e.code === 'CANCELLED')) error.value = messageOf(e);
    } finally {
      step.value = null;
    }
  }

  function cancel(): void {
    cancelled = true;
    if (request) loupe().cancel(request);
  }

  return {
    runs,
    runId,
    formats,
    preprocessing,
    calibration,
    calibrationMethod,
    gallery,
    folder,
    step,
    results,
    recorded,
    comparison,
    error,
    conflict,
    exportable,
    run,
    quantizing,
    canCompare,
    hydrate,
    selectRun,
    toggleFormat,
    start,
    compare,
    cancel,
  };
});
