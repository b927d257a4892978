import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import {
  DEFAULT_GALLERY_MATCHES,
  MAX_GALLERY_MATCHES,
  type BatchFormat,
  type BatchJob,
  type ExplainMethodName,
  type ReplyOf,
  type ParsedRequestOf,
  type RunSummary,
} from '../../../contract/index';
import { attemptWith } from './attempt';
import { loupe, messageOf } from '../client/index';

type Results = ReplyOf<'batch.results'>;
/** A results page's sort, filter and place (every field set: the table shows them). */
export type ResultsQuery = Omit<ParsedRequestOf<'batch.results'>, 'jobId'>;

/** Rows per page of the results table. */
export const RESULTS_PAGE = 100;
/** While a job predicts, its results are read again at most this often (each read parses only new rows). */
export const RESULTS_REFRESH_MS = 1000;

/** A ticked row: its file, and the workspace image it is (null while the workspace does not hold it). */
export interface BatchPick {
  path: string;
  imageId: number | null;
}

export interface BatchDraft {
  source: 'run' | 'dir';
  runId: string;
  dir: string;
  /** Input folders (or files); empty entries are ignored. */
  inputs: string[];
  out: string;
  formats: BatchFormat[];
  /** Empty: the model card's. */
  threshold: string;
  /** Classification: a heatmap PNG per image with this method; '' for none. */
  explain: ExplainMethodName | '';
  /** Verification: match each image against the model's enrolled gallery, keeping `topK` nearest. */
  gallery: boolean;
  topK: string;
}

const FIRST_QUERY: ResultsQuery = {
  sort: 'path',
  descending: false,
  predicted: '',
  minScore: 0,
  maxScore: 1,
  minEntropy: 0,
  failed: true,
  offset: 0,
  limit: RESULTS_PAGE,
};

/**
 * The Batch section: the workspace's batch jobs (predicting in the services, so a reload or a
 * second window re-attaches through `hydrate()` and `batch.job` events), the form for a new one,
 * and the results of the job looked at, a page at a time, sorted and filtered in the services.
 */
export const useBatchStore = defineStore('batch', () => {
  const workspace = ref<string | null>(null);
  const runs = ref<RunSummary[]>([]);
  const jobs = ref<BatchJob[]>([]);
  const jobId = ref<string | null>(null);
  const results = ref<Results | null>(null);
  const query = ref<ResultsQuery>({ ...FIRST_QUERY });
  /** The rows ticked in the table, a file once: its workspace image, or null for a file outside the workspace. */
  const selected = ref<BatchPick[]>([]);
  const draft = ref<BatchDraft>({
    source: 'run',
    runId: '',
    dir: '',
    inputs: [''],
    out: '',
    formats: [],
    threshold: '',
    explain: '',
    gallery: false,
    topK: String(DEFAULT_GALLERY_MATCHES),
  });
  const error = ref<string | null>(null);
  const busy = ref(false);
  let unsubscribe: (() => void) | null = null;
  let lastRead = 0;

  const completedRuns = computed(() => runs.value.filter((r) => r.state === 'completed'));
  /** The task of the model the form names: a run's kind; null for a model folder (known once it loads). */
  const draftTask = computed(() =>
    draft.value.source === 'run'
      ? (completedRuns.value.find((r) => r.runId === draft.value.runId)?.kind ?? null)
      : null,
  );
  const job = computed(() => jobs.value.find((j) => j.jobId === jobId.value) ?? null);
  const running = computed(() => jobs.value.find((j) => j.active) ?? null);
  /** Review takes a completed classification run's images; a model folder has no run to review with. */
  const reviewRun = computed(() => {
    const model = job.value?.model;
    const run = model && 'runId' in model ? runs.value.find((r) => r.runId === model.runId) : undefined;
    return run && run.kind === 'classification' && run.taskId !== null ? run.runId : null;
  });

  const attempt = attemptWith(busy, error);

  function upsert(next: BatchJob): void {
    const others = jobs.value.filter((j) => j.jobId !== next.jobId);
    jobs.value = [next, ...others].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  }

  function onJob(payload: { workspace: string; job: BatchJob }): void {
    if (payload.workspace !== workspace.value) return;
    const before = jobs.value.find((j) => j.jobId === payload.job.jobId);
    upsert(payload.job);
    if (payload.job.jobId !== jobId.value) return;
    const ended = before?.state === 'running' && payload.job.state !== 'running';
    if (ended || performance.now() - lastRead >= RESULTS_REFRESH_MS) void loadResults();
  }

  async function hydrate(path: string | null): Promise<void> {
    unsubscribe ??= loupe().on('batch.job', onJob);
    workspace.value = path;
    results.value = null;
    jobId.value = null;
    if (!path) {
      runs.value = [];
      jobs.value = [];
      return;
    }
    await attempt(async () => {
      const [r, j] = await Promise.all([loupe().invoke('training.runs', {}), loupe().invoke('batch.jobs', {})]);
      runs.value = r.runs;
      jobs.value = j.jobs;
    });
    if (!draft.value.runId) draft.value.runId = completedRuns.value[0]?.runId ?? '';
    const first = running.value ?? jobs.value[0];
    if (first) await select(first.jobId);
  }

  function dehydrate(): void {
    unsubscribe?.();
    unsubscribe = null;
  }

  async function select(id: string): Promise<void> {
    jobId.value = id;
    query.value = { ...FIRST_QUERY };
    selected.value = [];
    results.value = null;
    await loadResults();
  }

  async function loadResults(): Promise<void> {
    const id = jobId.value;
    if (!id) return;
    lastRead = performance.now();
    const reply = await loupe()
      .invoke('batch.results', { jobId: id, ...query.value })
      .catch((e: unknown) => {
        error.value = messageOf(e);
        return null;
      });
    if (reply && jobId.value === id) results.value = reply;
  }

  /** A new sort or filter starts at the first page; a page turn keeps them. */
  async function setQuery(change: Partial<ResultsQuery>): Promise<void> {
    query.value = { ...query.value, offset: 0, ...change };
    await loadResults();
  }

  function sortBy(column: ResultsQuery['sort']): Promise<void> {
    const descending = query.value.sort === column ? !query.value.descending : column !== 'path' && column !== 'class';
    return setQuery({ sort: column, descending });
  }

  async function start(): Promise<boolean> {
    const d = draft.value;
    const inputs = d.inputs.map((s) => s.trim()).filter(Boolean);
    const threshold = d.threshold.trim() === '' ? undefined : Number(d.threshold);
    if (threshold !== undefined && !Number.isFinite(threshold)) {
      error.value = `The threshold "${d.threshold}" is not a number; leave it empty for the model card's.`;
      return false;
    }
    // Options of another task than the chosen run's are hidden in the form, and not sent.
    const task = draftTask.value;
    const explain = d.explain !== '' && (task === null || task === 'classification') ? d.explain : undefined;
    const gallery = d.gallery && (task === null || task === 'verification');
    const k = Number(d.topK);
    if (gallery && !(Number.isInteger(k) && k >= 1 && k <= MAX_GALLERY_MATCHES)) {
      error.value = `Keep between 1 and ${MAX_GALLERY_MATCHES} nearest references, not "${d.topK}".`;
      return false;
    }
    const model = d.source === 'run' ? { runId: d.runId } : { dir: d.dir.trim() };
    const started = await attempt(() =>
      loupe().invoke('batch.start', {
        model,
        inputs,
        out: d.out.trim(),
        formats: d.formats,
        ...(threshold === undefined ? {} : { threshold }),
        ...(explain === undefined ? {} : { explain }),
        ...(gallery ? { gallery: { k } } : {}),
      }),
    );
    if (!started) return false;
    upsert(started);
    await select(started.jobId);
    return true;
  }

  async function cancel(id: string): Promise<void> {
    await attempt(() => loupe().invoke('batch.cancel', { jobId: id }));
  }

  async function resume(id: string): Promise<void> {
    const resumed = await attempt(() => loupe().invoke('batch.resume', { jobId: id }));
    if (resumed) upsert(resumed);
  }

  function toggle(row: BatchPick): void {
    selected.value = selected.value.some((p) => p.path === row.path)
      ? selected.value.filter((p) => p.path !== row.path)
      : [...selected.value, { path: row.path, imageId: row.imageId }];
  }

  return {
    runs,
    completedRuns,
    draftTask,
    jobs,
    jobId,
    job,
    running,
    reviewRun,
    results,
    query,
    selected,
    draft,
    error,
    busy,
    hydrate,
    dehydrate,
    select,
    loadResults,
    setQuery,
    sortBy,
    start,
    cancel,
    resume,
    toggle,
  };
});
