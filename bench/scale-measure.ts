/**
 * The scale benchmark's instruments: the real Loupe host started with the event-loop probe
 * (scale-host-probe.mjs), the page probe (tests/helpers/page-probe.js) read back and summarised,
 * and Chromium's own counters (CDP Performance.getMetrics: JS heap, DOM nodes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CDPSession, Page } from 'playwright-core';
import { appRoot } from '../main/app/paths';

/** A frame longer than this is a dropped frame a user sees as a stutter (3 frames at 60 Hz). */
export const DROPPED_FRAME_MS = 50;

export interface HostWindow {
  seconds: number;
  delay: { mean: number; p50: number; p99: number; max: number; samples: number };
  utilisation: number;
  cpuPercent: number;
  rssMiB: number;
}

export interface ProbedHost {
  launchUrl: string;
  token: string;
  process: ChildProcess;
  reset(): Promise<void>;
  read(): Promise<HostWindow>;
  stop(): Promise<void>;
}

/** `loupe start --browser` exactly as users run it, plus the probe loaded with `node --import`. */
export function startProbedHost(): Promise<ProbedHost> {
  const root = appRoot();
  const probe = pathToFileURL(path.join(root, 'bench', 'scale-host-probe.mjs')).href;
  const child = spawn(
    process.execPath,
    ['--import', probe, path.join(root, 'bin', 'loupe.mjs'), 'start', '--browser', '--no-open'],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  const ask = <T>(kind: 'reset' | 'read'): Promise<T> =>
    new Promise((resolve) => {
      const listener = (message: { probe?: string }): void => {
        if (message.probe !== kind) return;
        child.off('message', listener);
        resolve(message as T);
      };
      child.on('message', listener);
      child.send({ probe: kind });
    });
  let output = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      const match = /open (http:\/\/\S+)/.exec(output);
      if (!match) return;
      const launchUrl = match[1]!;
      resolve({
        launchUrl,
        token: new URL(launchUrl).searchParams.get('token')!,
        process: child,
        reset: () => ask('reset').then(() => {}),
        read: () => ask<HostWindow & { probe: string }>('read').then(({ probe: _probe, ...window }) => window),
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
    child.once('exit', (code) => reject(new Error(`loupe start exited with ${code}:\n${output}`)));
  });
}

/** What tests/helpers/page-probe.js hands back. */
export interface PageWindow {
  frames: number[];
  longTasks: { start: number; duration: number }[];
  clicks: { delay: number; toFrame: number }[];
  calls: Record<string, number>;
  listPages: { offset?: number; limit?: number }[];
  thumbnailIds: number[];
  received: { messages: number; bytes: number; largest: number; progress: number };
  objectUrls: number;
  tiles: { max: number; sum: number; frames: number };
}

export const PAGE_PROBE = path.join(appRoot(), 'tests', 'helpers', 'page-probe.js');

/** The probe as the page holds it (globalThis is the page's window there; the bench has no DOM types). */
type ProbeWindow = {
  __loupeProbe: { start(): void; take(): PageWindow; scrollToEnd(selector: string, step: number): Promise<number> };
};

export function probeStart(page: Page): Promise<void> {
  return page.evaluate(() => (globalThis as unknown as ProbeWindow).__loupeProbe.start());
}

export function probeTake(page: Page): Promise<PageWindow> {
  return page.evaluate(() => (globalThis as unknown as ProbeWindow).__loupeProbe.take());
}

export function scrollToEnd(page: Page, selector: string, step: number): Promise<number> {
  return page.evaluate(([s, n]) => (globalThis as unknown as ProbeWindow).__loupeProbe.scrollToEnd(s, n), [
    selector,
    step,
  ] as const);
}

/**
 * Chromium's counters for the page: JS heap in use and DOM nodes, after a full garbage collection
 * so that nodes the grid already dropped (and blobs it revoked) are not counted as live.
 */
export async function chromiumMetrics(cdp: CDPSession): Promise<{ heapMiB: number; nodes: number }> {
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  const value = (name: string): number => metrics.find((m) => m.name === name)?.value ?? NaN;
  return { heapMiB: value('JSHeapUsedSize') / 2 ** 20, nodes: value('Nodes') };
}

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export interface FrameSummary {
  frames: number;
  p50: number;
  p95: number;
  max: number;
  dropped: number;
  longTasks: number;
  longTaskMs: number;
  longestTask: number;
}

export function summariseFrames(window: PageWindow): FrameSummary {
  return {
    frames: window.frames.length,
    p50: quantile(window.frames, 0.5),
    p95: quantile(window.frames, 0.95),
    max: window.frames.length ? Math.max(...window.frames) : NaN,
    dropped: window.frames.filter((f) => f > DROPPED_FRAME_MS).length,
    longTasks: window.longTasks.length,
    longTaskMs: window.longTasks.reduce((sum, t) => sum + t.duration, 0),
    longestTask: window.longTasks.reduce((most, t) => Math.max(most, t.duration), 0),
  };
}

/** A plain text table, columns padded to their widest cell. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '))
    .join('\n');
}

export const fmt = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');
