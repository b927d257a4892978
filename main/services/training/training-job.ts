/**
 * One run training in the background: the engine's `train` call, owned by the services rather
 * than by the call that started it, with its latest progress kept for anyone who re-attaches
 * (a reloaded page, a second window, `loupe train` watching) and the outcome settled into the
 * workspace's runs row when the engine answers — however it answers.
 */
import { LoupeError, type RunState, type TrainingProgress, type TrainRequest } from '../../../contract/index';
import type { EngineSupervisor } from '../../engine/supervisor';

/** Progress events go out at most this often (plus every epoch end and phase change): a UI redraw rate. */
export const PROGRESS_EVENT_INTERVAL_MS = 200;

export interface JobOutcome {
  state: Exclude<RunState, 'running'>;
  error: string | null;
}

export interface TrainingJobArgs {
  runId: string;
  /** The workspace folder the run belongs to (the user may open another while it trains). */
  root: string;
  request: TrainRequest;
  engine: EngineSupervisor;
  /** Throttled progress, for the broadcast event. */
  broadcast(progress: TrainingProgress): void;
}

export class TrainingJob {
  readonly runId: string;
  readonly root: string;
  /** The latest progress the engine reported. */
  progress: TrainingProgress | null = null;
  /** Settles (never rejects) when the engine call ends. */
  readonly outcome: Promise<JobOutcome>;
  private readonly controller = new AbortController();
  private readonly watchers = new Set<(progress: TrainingProgress) => void>();
  private lastBroadcast = 0;

  constructor(private readonly args: TrainingJobArgs) {
    this.runId = args.runId;
    this.root = args.root;
    this.outcome = this.run();
  }

  get cancelling(): boolean {
    return this.controller.signal.aborted;
  }

  cancel(): void {
    this.controller.abort();
  }

  /** Every progress event until the job ends; returns the unsubscribe function. */
  watch(listener: (progress: TrainingProgress) => void): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  private async run(): Promise<JobOutcome> {
    try {
      await this.args.engine.call('train', this.args.request, {
        signal: this.controller.signal,
        onProgress: (p) => this.onProgress(p),
      });
      return { state: 'completed', error: null };
    } catch (error) {
      return outcomeOf(error, this.controller.signal.aborted);
    }
  }

  private onProgress(progress: TrainingProgress): void {
    const previous = this.progress;
    this.progress = progress;
    for (const watcher of this.watchers) watcher(progress);
    const now = performance.now();
    const milestone = !previous || previous.phase !== progress.phase || progress.epochRecord !== undefined;
    if (milestone || now - this.lastBroadcast >= PROGRESS_EVENT_INTERVAL_MS) {
      this.lastBroadcast = now;
      this.args.broadcast(progress);
    }
  }
}

/**
 * How an engine failure settles a run. A cancel asked for is a cancel whatever the engine said
 * (a stuck worker is restarted, which fails the call as a crash); a crash or shutdown leaves the
 * run resumable from its last finished epoch.
 */
export function outcomeOf(error: unknown, cancelled: boolean): JobOutcome {
  if (cancelled || (error instanceof LoupeError && error.code === 'CANCELLED'))
    return { state: 'cancelled', error: null };
  const message =
    error instanceof LoupeError ? error.message : 'The run failed inside Loupe; the details are in the log.';
  if (error instanceof LoupeError && (error.code === 'ENGINE_CRASHED' || error.code === 'ENGINE_UNAVAILABLE'))
    return { state: 'interrupted', error: message };
  return { state: 'failed', error: message };
}
