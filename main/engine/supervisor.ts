/**
 * Keeps the engine worker alive. Calls are numbered and matched to results; if the worker dies,
 * every pending call fails with ENGINE_CRASHED and a fresh worker is started, so one bad model
 * or an out-of-memory never takes the app down with it.
 */
import {
  engineMethods,
  fromEngineSchema,
  type EngineMethodName,
  type EngineProgressOf,
  type EngineReplyOf,
  type EngineRequestOf,
  type ToEngine,
} from '../../contract/engine/protocol';
import {
  LoupeError,
  errorFromPayload,
  type BackendName,
  type EngineInfo,
  type EngineStatus,
} from '../../contract/index';
import type { Logger } from '../services/logger';

/** A running worker, whatever hosts it (worker thread or Electron utilityProcess). */
export interface EngineWorker {
  /** `transfer`: buffers of the message to move rather than copy, where the host can (a worker thread). */
  post(message: ToEngine, transfer?: readonly ArrayBuffer[]): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the worker is gone, expectedly or not. */
  onExit(listener: (description: string) => void): void;
  terminate(): Promise<void>;
}

export type SpawnEngineWorker = () => EngineWorker;

/** A cancelled call whose worker does not answer within this time gets the worker restarted. */
export const CANCEL_GRACE_MS = 10_000;
/** More crashes than this within CRASH_WINDOW_MS and the supervisor stops restarting on its own. */
export const MAX_CRASHES = 5;
export const CRASH_WINDOW_MS = 60_000;

interface Pending {
  method: EngineMethodName;
  resolve(value: unknown): void;
  reject(error: LoupeError): void;
  onProgress?: (data: unknown) => void;
  cancelTimer?: ReturnType<typeof setTimeout>;
}

export interface EngineCallOptions<M extends EngineMethodName> {
  signal?: AbortSignal;
  onProgress?: (data: EngineProgressOf<M>) => void;
  /**
   * Buffers of the request to move to the engine rather than copy (a batch run's model input, half
   * a megabyte a call): the caller must not read them after the call. A worker thread moves them;
   * Electron's utility process copies them, as it copies every message.
   */
  transfer?: readonly ArrayBuffer[];
}

export class EngineSupervisor {
  private worker: EngineWorker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private status: EngineStatus = { state: 'stopped', backend: null };
  private info: EngineInfo | null = null;
  private starting: Promise<EngineInfo> | null = null;
  private crashTimes: number[] = [];
  private disposed = false;

  constructor(
    private readonly spawn: SpawnEngineWorker,
    private readonly log: Logger,
    private readonly onStatus: (status: EngineStatus) => void = () => {},
    private readonly forcedBackend: BackendName | null = null,
  ) {}

  get state(): EngineStatus {
    return this.status;
  }

  /** Starts the worker if needed and returns the backend it runs. */
  async engineInfo(): Promise<EngineInfo> {
    if (this.info) return this.info;
    // One init at a time: a restart's init and a caller's must not race inside the worker.
    if (!this.starting) {
      const starting = this.call('init', { backend: this.forcedBackend }).finally(() => {
        if (this.starting === starting) this.starting = null;
      });
      this.starting = starting;
    }
    return this.starting;
  }

  async call<M extends EngineMethodName>(
    method: M,
    request: EngineRequestOf<M>,
    options: EngineCallOptions<M> = {},
  ): Promise<EngineReplyOf<M>> {
    if (this.disposed) throw new LoupeError('ENGINE_UNAVAILABLE', 'The engine has been shut down.');
    if (options.signal?.aborted) throw new LoupeError('CANCELLED', 'Cancelled.');
    if (method !== 'init' && !this.info) await this.engineInfo();
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<EngineReplyOf<M>>((resolve, reject) => {
      const entry: Pending = { method, resolve: resolve as (v: unknown) => void, reject };
      if (options.onProgress) entry.onProgress = options.onProgress as (data: unknown) => void;
      this.pending.set(id, entry);
      options.signal?.addEventListener('abort', () => this.cancel(id), { once: true });
      worker.post({ type: 'call', id, method, payload: request }, options.transfer);
    });
  }

  /** Kills the worker (failing pending calls) and starts a fresh one. */
  async restart(): Promise<EngineInfo> {
    const worker = this.worker;
    this.worker = null;
    this.info = null;
    this.starting = null;
    this.failAll(new LoupeError('ENGINE_CRASHED', 'The engine was restarted while working on this; try again.'));
    if (worker) await worker.terminate();
    this.crashTimes = [];
    return this.engineInfo();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const worker = this.worker;
    this.worker = null;
    this.failAll(new LoupeError('ENGINE_UNAVAILABLE', 'The engine was shut down.'));
    if (worker) await worker.terminate();
    this.setStatus({ state: 'stopped', backend: null });
  }

  private ensureWorker(): EngineWorker {
    if (this.worker) return this.worker;
    const worker = this.spawn();
    this.worker = worker;
    this.setStatus({ state: 'starting', backend: null });
    worker.onMessage((raw) => this.receive(worker, raw));
    worker.onExit((description) => this.exited(worker, description));
    return worker;
  }

  private receive(worker: EngineWorker, raw: unknown): void {
    if (worker !== this.worker) return;
    const message = fromEngineSchema.safeParse(raw);
    if (!message.success) {
      this.log.warn('engine sent a message outside the protocol; ignored');
      return;
    }
    const msg = message.data;
    const entry = this.pending.get(msg.id);
    if (!entry) return;
    if (msg.type === 'progress') {
      entry.onProgress?.(msg.data);
      return;
    }
    this.pending.delete(msg.id);
    clearTimeout(entry.cancelTimer);
    if (!msg.ok) {
      entry.reject(errorFromPayload(msg.error));
      // Its tensor heap overflowed and may be broken (ml/worker/heap-failure.ts), or its GPU failed
      // (ml/backends/webgpu/faults.ts): start afresh.
      if (msg.error.code === 'ENGINE_OUT_OF_MEMORY' || msg.error.code === 'ENGINE_CRASHED') {
        const what = msg.error.code === 'ENGINE_OUT_OF_MEMORY' ? 'ran out of tensor memory' : 'failed';
        this.log.warn(`engine ${what} in ${entry.method}; restarting it`);
        void this.restart().catch(() => {});
      }
      return;
    }
    const reply = engineMethods[entry.method].reply.safeParse(msg.value);
    if (!reply.success) {
      entry.reject(new LoupeError('INTERNAL', `The engine's ${entry.method} reply was malformed; this is a bug.`));
      return;
    }
    if (entry.method === 'init') {
      this.info = reply.data as EngineInfo;
      this.setStatus({ state: 'ready', backend: this.info.backend });
    }
    entry.resolve(reply.data);
  }

  private cancel(id: number): void {
    const entry = this.pending.get(id);
    if (!entry || !this.worker) return;
    this.worker.post({ type: 'cancel', id });
    // A worker stuck in one long synchronous step cannot hear the cancel: restart it.
    entry.cancelTimer = setTimeout(() => {
      if (!this.pending.has(id)) return;
      this.log.warn(`engine did not stop ${entry.method} within ${CANCEL_GRACE_MS} ms of a cancel; restarting it`);
      void this.restart().catch(() => {});
    }, CANCEL_GRACE_MS);
  }

  private exited(worker: EngineWorker, description: string): void {
    if (worker !== this.worker) return; // A worker we terminated on purpose.
    this.worker = null;
    this.info = null;
    this.starting = null;
    this.log.error(`engine worker stopped unexpectedly (${description})`);
    this.failAll(
      new LoupeError(
        'ENGINE_CRASHED',
        `The engine stopped unexpectedly (${description}) while working on this. It has been restarted; try again.`,
      ),
    );
    const now = Date.now();
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < CRASH_WINDOW_MS), now];
    if (this.disposed) return;
    if (this.crashTimes.length > MAX_CRASHES) {
      this.setStatus({
        state: 'crashed',
        backend: null,
        message: `The engine crashed ${this.crashTimes.length} times in a minute; it restarts on the next request.`,
      });
      this.crashTimes = [];
      return;
    }
    this.setStatus({
      state: 'crashed',
      backend: null,
      message: `The engine stopped unexpectedly (${description}); restarting.`,
    });
    void this.engineInfo().catch((error: unknown) => {
      if (!this.disposed) this.log.error('engine restart failed', error);
    });
  }

  private failAll(error: LoupeError): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) {
      clearTimeout(entry.cancelTimer);
      entry.reject(error);
    }
  }

  private setStatus(status: EngineStatus): void {
    this.status = status;
    this.onStatus(status);
  }
}
