/**
 * A small pool of decode workers (worker_threads). Decoding never runs on the host's event loop,
 * and a worker stuck on one file (a pathological codestream) is terminated when the per-file time
 * cap passes and replaced, so one bad file cannot stall an import of thousands.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ImageInfo } from '../../../contract/channels/imaging';
import type { PreprocessingSpec } from '../../../contract/index';
import { DecodeError } from '../../../ml/decode/errors';
import { DECODE_TIME_CAP_MS, DECODE_WORKER_HEAP_MB, decodeWorkerCount } from '../../../ml/decode/limits';
import { loadSharp } from '../../../ml/decode/sharp-module';
import type { DecodedFrame } from '../../../ml/decode/types';
import type { FromDecodeWorker, PreparedRead, ToDecodeWorker } from '../../../ml/decode/worker-protocol';
import type { Logger } from '../logger';
import { timedOutError, workerLostError } from './decode-failures';

export interface DecodePoolOptions {
  /** Built worker entry (out/main/decode-worker.js). */
  entry: string;
  /** Workers; default from the cores and the memory free when the pool starts (decodeWorkerCount). */
  size?: number;
  /** No window to keep responsive (the CLI): the default size takes every core. */
  headless?: boolean;
  /** Per-file time cap; default DECODE_TIME_CAP_MS. */
  timeCapMs?: number;
  /** V8 heap of each worker in MiB; default DECODE_WORKER_HEAP_MB (tests pass a small one to reach it). */
  heapMb?: number;
  log: Logger;
}

/** What `inspect` learns: a duplicate stops after hashing, a new file is decoded too. */
export type InspectResult =
  | { kind: 'duplicate'; sha256: string; size: number; of: string }
  | { kind: 'new'; sha256: string; size: number; info: ImageInfo };

type Outgoing = {
  [K in ToDecodeWorker['type']]: Omit<Extract<ToDecodeWorker, { type: K }>, 'id'>;
}[ToDecodeWorker['type']];

interface Task {
  message: Outgoing;
  /** Called for every message of this task; returns true when the task is finished. */
  onMessage(message: FromDecodeWorker, reply: (m: Outgoing) => void): boolean;
  fail(error: DecodeError): void;
  name: string;
}

interface Slot {
  worker: Worker;
  /** Tasks given to this worker, the first the one it works on; the rest wait in its port. */
  tasks: { task: Task; id: number }[];
  timer?: ReturnType<typeof setTimeout>;
  /** The worker ran out of its V8 heap (DECODE_WORKER_HEAP_MB) on its current task. */
  outOfMemory?: boolean;
}

/**
 * Tasks a worker holds at once when every worker is busy: the one it works on and the next, which
 * waits in its port. The worker starts the next as it sends an answer, without sleeping for main to
 * reply and wake it again (on 2 cores, 10,000 small PNGs through `loupe predict`: 4.99 → 4.80 s,
 * medians of five pairs). The worker runs its tasks one at a time (worker.ts), so the first task
 * of a worker that hangs or dies is the one to blame; the next is given to another worker.
 */
const TASKS_PER_WORKER = 2;

export class DecodePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;
  /** sharp is loaded in this thread; until then no worker is given a task (see pump). */
  private sharpLoaded: Promise<void> | null = null;
  private sharpReady = false;
  private readonly size: number;
  private readonly timeCapMs: number;
  private readonly heapMb: number;

  constructor(private readonly options: DecodePoolOptions) {
    // os.freemem() is MemAvailable on Linux: what can be used without swapping.
    this.size = options.size ?? decodeWorkerCount(os.availableParallelism(), os.freemem(), options.headless);
    this.timeCapMs = options.timeCapMs ?? DECODE_TIME_CAP_MS;
    this.heapMb = options.heapMb ?? DECODE_WORKER_HEAP_MB;
  }

  get concurrency(): number {
    return this.size;
  }

  /**
   * Reads and hashes a file; when `knownAs(sha256)` names an existing image it stops there,
   * otherwise it decodes the file and writes its thumbnail into the workspace.
   */
  inspect(path: string, workspaceRoot: string, knownAs: (sha256: string) => string | null): Promise<InspectResult> {
    return new Promise((resolve, reject) => {
      let hashed: { sha256: string; size: number } | null = null;
      this.enqueue({
        name: path,
        message: { type: 'inspect', path, workspaceRoot },
        onMessage: (message, reply) => {
          if (message.type === 'hashed') {
            hashed = { sha256: message.sha256, size: message.size };
            const of = knownAs(message.sha256);
            reply({ type: 'proceed', decode: of === null });
            if (of === null) return false;
            resolve({ kind: 'duplicate', ...hashed, of });
            return true;
          }
          if (message.type === 'inspected' && hashed) {
            resolve({ kind: 'new', ...hashed, info: message.info });
            return true;
          }
          return this.settleFailure(message, reject);
        },
        fail: reject,
      });
    });
  }

  frame(path: string, frame: number): Promise<DecodedFrame> {
    return this.simple({ type: 'frame', path, frame }, path, (m) => (m.type === 'frame' ? m.frame : undefined));
  }

  thumbnail(path: string, workspaceRoot: string, sha256: string): Promise<void> {
    return this.simple({ type: 'thumbnail', path, workspaceRoot, sha256 }, path, (m) =>
      m.type === 'done' ? true : undefined,
    ).then(() => {});
  }

  /** A file read once for batch prediction: its hash, description and every frame. */
  read(path: string): Promise<{ sha256: string; size: number; info: ImageInfo; frames: DecodedFrame[] }> {
    return this.simple({ type: 'read', path }, path, (m) =>
      m.type === 'read' ? { sha256: m.sha256, size: m.size, info: m.info, frames: m.frames } : undefined,
    );
  }

  /** The same, with every frame prepared in the worker as `spec` says instead of its pixels. */
  readPrepared(
    path: string,
    spec: PreprocessingSpec,
  ): Promise<{ sha256: string; size: number; info: ImageInfo; prepared: PreparedRead }> {
    return this.simple({ type: 'read', path, prepare: spec }, path, (m) =>
      m.type === 'read' && m.prepared
        ? { sha256: m.sha256, size: m.size, info: m.info, prepared: m.prepared }
        : undefined,
    );
  }

  hash(path: string): Promise<{ sha256: string; size: number }> {
    return this.simple({ type: 'hash', path }, path, (m) =>
      m.type === 'hashed' ? { sha256: m.sha256, size: m.size } : undefined,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) task.fail(new DecodeError('internal', 'Loupe is shutting down.'));
    await Promise.all(
      this.slots.splice(0).map(async (slot) => {
        clearTimeout(slot.timer);
        for (const { task } of slot.tasks) task.fail(new DecodeError('internal', 'Loupe is shutting down.'));
        await slot.worker.terminate();
      }),
    );
  }

  /** One request, one answer. `pick` returns the value when the message is the answer, undefined for "not yet". */
  private simple<T>(message: Outgoing, name: string, pick: (m: FromDecodeWorker) => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.enqueue({
        name,
        message,
        onMessage: (m) => {
          if (m.type === 'failed') return this.settleFailure(m, reject);
          const value = pick(m);
          if (value === undefined) return false;
          resolve(value);
          return true;
        },
        fail: reject,
      });
    });
  }

  private settleFailure(message: FromDecodeWorker, reject: (e: DecodeError) => void): boolean {
    if (message.type !== 'failed') return false;
    reject(new DecodeError(message.failure, message.message));
    return true;
  }

  private enqueue(task: Task): void {
    if (this.closed) {
      task.fail(new DecodeError('internal', 'Loupe is shutting down.'));
      return;
    }
    this.queue.push(task);
    this.pump();
  }

  private pump(): void {
    // sharp must be loaded by this thread before any worker uses it, so that its shared libraries
    // outlive the workers (sharp's documentation, "worker threads" on glibc Linux). It loads here,
    // on the first task, not at start: the workers boot meanwhile, and a command that decodes
    // nothing never pays for it.
    if (!this.sharpReady) {
      this.sharpLoaded ??= this.loadSharpFirst();
      return;
    }
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.tasks.length === 0);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      slot ??= this.slots.find((s) => this.canQueue(s));
      if (!slot) return;
      this.start(slot, this.queue.shift()!);
    }
  }

  /**
   * A busy worker can take a second task unless it holds an inspect: the worker sends "hashed" mid-task
   * and waits for main's "proceed", and a task queued behind it would run in that gap.
   */
  private canQueue(slot: Slot): boolean {
    return slot.tasks.length < TASKS_PER_WORKER && slot.tasks.every((t) => t.task.message.type !== 'inspect');
  }

  private async loadSharpFirst(): Promise<void> {
    while (this.slots.length < Math.min(this.size, this.queue.length)) this.spawn();
    try {
      await loadSharp();
    } catch (error) {
      // The workers will say so on each file that needs it; PNGs png.ts reads and DICOM go on.
      this.options.log.error('the image library (sharp) failed to load', error);
    }
    this.sharpReady = true;
    if (!this.closed) this.pump();
  }

  private spawn(): Slot {
    // The heap cap stops a file that makes the parser build millions of objects; pixels are
    // ArrayBuffers outside this heap, bounded by the decoders' own checks.
    const worker = new Worker(this.options.entry, { resourceLimits: { maxOldGenerationSizeMb: this.heapMb } });
    const slot: Slot = { worker, tasks: [] };
    slot.worker.on('message', (message: FromDecodeWorker) => this.receive(slot, message));
    slot.worker.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY') slot.outOfMemory = true;
      else this.options.log.error('decode worker failed', error);
    });
    slot.worker.on('exit', (code) => this.exited(slot, code));
    this.slots.push(slot);
    return slot;
  }

  private start(slot: Slot, task: Task): void {
    const id = this.nextId++;
    slot.tasks.push({ task, id });
    if (slot.tasks.length === 1) slot.timer = setTimeout(() => this.timedOut(slot, id), this.timeCapMs);
    slot.worker.postMessage({ ...task.message, id } as ToDecodeWorker);
  }

  private receive(slot: Slot, message: FromDecodeWorker): void {
    const at = slot.tasks.findIndex((t) => t.id === message.id);
    if (at < 0) return;
    const { task, id } = slot.tasks[at]!;
    const finished = task.onMessage(message, (reply) => slot.worker.postMessage({ ...reply, id } as ToDecodeWorker));
    if (!finished) return;
    slot.tasks.splice(at, 1);
    if (at === 0) {
      clearTimeout(slot.timer);
      const head = slot.tasks[0];
      if (head) slot.timer = setTimeout(() => this.timedOut(slot, head.id), this.timeCapMs);
    }
    this.pump();
  }

  private timedOut(slot: Slot, id: number): void {
    if (slot.tasks[0]?.id !== id) return;
    const task = slot.tasks[0].task;
    this.queue.unshift(...slot.tasks.slice(1).map((t) => t.task));
    this.options.log.warn(`decoding ${task.name} ran past ${this.timeCapMs} ms; its worker was stopped`);
    this.remove(slot);
    task.fail(timedOutError(this.timeCapMs));
    void slot.worker.terminate();
    this.pump();
  }

  private exited(slot: Slot, code: number): void {
    if (!this.slots.includes(slot)) return; // Terminated on purpose.
    this.remove(slot);
    clearTimeout(slot.timer);
    this.queue.unshift(...slot.tasks.slice(1).map((t) => t.task));
    slot.tasks[0]?.task.fail(workerLostError(code, slot.outOfMemory ? this.heapMb : null));
    if (!this.closed) this.pump();
  }

  private remove(slot: Slot): void {
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
  }
}
