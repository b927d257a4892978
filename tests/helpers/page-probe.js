/**
 * Installed in a page with Playwright's addInitScript (before the app's own code) by the scale
 * benchmark (bench/scale.ts). It watches what a user would feel and what the page asks
 * the host for, and changes nothing the app does:
 * - frame times (requestAnimationFrame deltas) and long tasks (PerformanceObserver "longtask");
 * - for every click, the delay until its handler ran and until the next frame began;
 * - the contract calls the page sends over its WebSocket (channel, and for imaging.list /
 *   imaging.thumbnails what they asked for), and the bytes and progress messages it receives;
 * - thumbnails turned into object URLs, and how many grid tiles exist, frame by frame.
 * Read it with `window.__loupeProbe.take()`; `start()` begins a new window of measurement.
 */
/* global window, document, requestAnimationFrame */
(() => {
  const decoder = new TextDecoder();
  const fresh = () => ({
    frames: [],
    longTasks: [],
    clicks: [],
    calls: {},
    listPages: [],
    thumbnailIds: [],
    received: { messages: 0, bytes: 0, largest: 0, progress: 0 },
    objectUrls: 0,
    tiles: { max: 0, sum: 0, frames: 0 },
  });
  let data = fresh();
  let lastFrame = 0;

  const probe = {
    start() {
      data = fresh();
    },
    take() {
      const out = data;
      data = fresh();
      return out;
    },
    /** Scrolls `selector` to its end by `step` pixels per frame; resolves with the frames it took. */
    scrollToEnd(selector, step) {
      const el = document.querySelector(selector);
      if (!el) return Promise.reject(new Error(`${selector} is not on the page`));
      el.scrollTop = 0;
      return new Promise((resolve) => {
        let frames = 0;
        const tick = () => {
          frames += 1;
          const before = el.scrollTop;
          el.scrollTop = before + step;
          if (el.scrollTop === before) resolve(frames);
          else requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      });
    },
  };
  window.__loupeProbe = probe;

  const onFrame = (now) => {
    if (lastFrame) data.frames.push(now - lastFrame);
    lastFrame = now;
    const space = document.querySelector('.grid-space');
    if (space) {
      const n = space.childElementCount;
      data.tiles.max = Math.max(data.tiles.max, n);
      data.tiles.sum += n;
      data.tiles.frames += 1;
    }
    requestAnimationFrame(onFrame);
  };
  requestAnimationFrame(onFrame);

  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) data.longTasks.push({ start: entry.startTime, duration: entry.duration });
  }).observe({ type: 'longtask', buffered: false });

  document.addEventListener(
    'click',
    (event) => {
      const handled = performance.now();
      const clicks = data.clicks;
      requestAnimationFrame(() =>
        clicks.push({ delay: handled - event.timeStamp, toFrame: performance.now() - event.timeStamp }),
      );
    },
    { capture: true },
  );

  const createObjectURL = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (blob) => {
    data.objectUrls += 1;
    return createObjectURL(blob);
  };

  /** The JSON header of a frame (contract/wire.ts: u32 length, then UTF-8 JSON). */
  const header = (bytes, limit) => {
    const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
    return decoder.decode(bytes.subarray(4, 4 + Math.min(length, limit ?? length)));
  };

  const NativeSocket = window.WebSocket;
  window.WebSocket = class extends NativeSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        const size = event.data.byteLength ?? event.data.size ?? event.data.length ?? 0;
        data.received.messages += 1;
        data.received.bytes += size;
        data.received.largest = Math.max(data.received.largest, size);
        // Only the first bytes: a reply's header can be megabytes.
        if (event.data instanceof ArrayBuffer && header(new Uint8Array(event.data), 24).includes('"progress"'))
          data.received.progress += 1;
      });
    }
    send(frame) {
      try {
        const bytes =
          frame instanceof ArrayBuffer
            ? new Uint8Array(frame)
            : new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
        const message = JSON.parse(header(bytes));
        if (message.type === 'invoke') {
          data.calls[message.channel] = (data.calls[message.channel] ?? 0) + 1;
          if (message.channel === 'imaging.list') data.listPages.push(message.payload);
          if (message.channel === 'imaging.thumbnails') data.thumbnailIds.push(...message.payload.ids);
        }
      } catch {
        // Not a frame this probe understands: count nothing, change nothing.
      }
      super.send(frame);
    }
  };
})();
