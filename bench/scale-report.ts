/** What `npm run bench:scale` measured, and the tables it prints from it. */
import os from 'node:os';
import { fmt, quantile, summariseFrames, table, type HostWindow, type PageWindow } from './scale-measure';

/** One measured window: the host's event loop and the page's frames over the same time. */
export interface Window {
  host: HostWindow;
  page: PageWindow;
}

export interface ImportResult {
  idle: Window;
  during: Window;
  afterReport: Window;
  importMs: number;
  reportToGridMs: number;
}

export interface ScrollResult extends Window {
  scrollFrames: number;
  heapMiB: number;
  nodes: number;
}

export interface WorkspaceRun {
  images: number;
  importResult?: ImportResult;
  workspaceScroll: ScrollResult;
  labelScroll: ScrollResult;
}

function hostRow(name: string, w: Window): string[] {
  const h = w.host;
  return [
    name,
    fmt(h.delay.p50),
    fmt(h.delay.p99),
    fmt(h.delay.max),
    fmt(100 * h.utilisation, 0),
    fmt(h.cpuPercent, 0),
  ];
}

function pageRow(name: string, w: Window): string[] {
  const f = summariseFrames(w.page);
  const clicks = w.page.clicks.map((c) => c.toFrame);
  return [
    name,
    String(f.frames),
    fmt(f.p50),
    fmt(f.p95),
    fmt(f.max),
    String(f.dropped),
    String(f.longTasks),
    fmt(f.longestTask, 0),
    String(clicks.length),
    fmt(quantile(clicks, 0.5)),
    fmt(clicks.length ? Math.max(...clicks) : NaN),
  ];
}

function scrollRow(name: string, s: ScrollResult): string[] {
  const f = summariseFrames(s.page);
  const askedFor = s.page.thumbnailIds.length;
  return [
    name,
    String(s.scrollFrames),
    fmt(f.p50),
    fmt(f.p95),
    fmt(f.max),
    `${f.dropped} (${fmt((100 * f.dropped) / Math.max(1, f.frames))}%)`,
    `${f.longTasks}/${fmt(f.longestTask, 0)}`,
    `${s.page.tiles.max}`,
    `${askedFor} in ${s.page.calls['imaging.thumbnails'] ?? 0}`,
    String(s.page.objectUrls),
    fmt(s.heapMiB),
    String(s.nodes),
  ];
}

/** Prints the host, page, import and scrolling tables, each beside its peer. */
export function print(big: WorkspaceRun, small: WorkspaceRun, cliMs: number | null, scrollStepPx: number): void {
  const imp = big.importResult!;
  const perSecond = (ms: number): number => (big.images * 1000) / ms;
  console.log(
    `\nLoupe scale benchmark: ${big.images} images (64 × 64 PNG/JPEG/DICOM), ${os.availableParallelism()} cores, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  console.log('Host event loop (ms of delay; utilisation and CPU in %)');
  console.log(
    table([
      ['window', 'p50', 'p99', 'max', 'loop busy', 'cpu'],
      hostRow('idle', imp.idle),
      hostRow('during import', imp.during),
      hostRow('report → grid', imp.afterReport),
    ]),
  );
  console.log(`\nPage while the host imports (frames ms; long tasks; user click → next frame ms)`);
  console.log(
    table([
      ['window', 'frames', 'p50', 'p95', 'max', '>50ms', 'long tasks', 'longest', 'clicks', 'click p50', 'click max'],
      pageRow('idle', imp.idle),
      pageRow('during import', imp.during),
      pageRow('report → grid', imp.afterReport),
    ]),
  );
  const d = imp.during.page;
  // The grid's list is fetched right after the report, often before the "during" window closes.
  const listCalls = (d.calls['imaging.list'] ?? 0) + (imp.afterReport.page.calls['imaging.list'] ?? 0);
  const listPages = [...d.listPages, ...imp.afterReport.page.listPages].map((p) => p.limit);
  console.log(
    `\nImport: ${fmt(imp.importMs / 1000)} s through the UI = ${fmt(perSecond(imp.importMs))} images/s` +
      (cliMs !== null
        ? `; headless CLI ${fmt(cliMs / 1000)} s = ${fmt(perSecond(cliMs))} images/s (UI ÷ CLI time ${fmt(imp.importMs / cliMs, 2)})`
        : '') +
      `\n        ${d.received.progress} progress messages (${fmt(d.received.progress / (imp.importMs / 1000))}/s); report → grid of ${big.images}: ${fmt(imp.reportToGridMs)} ms, ` +
      `largest message ${fmt(Math.max(d.received.largest, imp.afterReport.page.received.largest) / 1024, 0)} KiB, imaging.list calls ${listCalls} ` +
      `(pages of ${listPages.join(', ') || '–'})`,
  );
  console.log(
    `\nScrolling the grid top to bottom at ${scrollStepPx} px per frame (frames ms; thumbnails asked for in calls; object URLs made; heap MiB)`,
  );
  console.log(
    table([
      [
        'grid',
        'frames',
        'p50',
        'p95',
        'max',
        '>50ms',
        'long/longest',
        'max tiles',
        'thumbnails asked',
        'received',
        'heap',
        'DOM nodes',
      ],
      scrollRow(`Workspace, ${small.images}`, small.workspaceScroll),
      scrollRow(`Workspace, ${big.images}`, big.workspaceScroll),
      scrollRow(`Label, ${small.images}`, small.labelScroll),
      scrollRow(`Label, ${big.images}`, big.labelScroll),
    ]),
  );
  const ratio = (a: ScrollResult, b: ScrollResult): string =>
    fmt(summariseFrames(a.page).p95 / summariseFrames(b.page).p95, 2);
  console.log(
    `\np95 frame time ${big.images} ÷ ${small.images}: Workspace ${ratio(big.workspaceScroll, small.workspaceScroll)}, Label ${ratio(big.labelScroll, small.labelScroll)}; ` +
      `host p99 delay during import ÷ idle: ${fmt(imp.during.host.delay.p99 / imp.idle.host.delay.p99, 2)}`,
  );
}
