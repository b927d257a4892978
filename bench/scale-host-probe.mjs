/**
 * Loaded into the real `loupe start --browser` process with `node --import` by the scale
 * benchmark, so the host it measures is the one users run, unmodified. It samples the host's
 * event-loop delay (perf_hooks.monitorEventLoopDelay) and utilisation, and answers the benchmark
 * over the IPC channel: "reset" starts a new window, "read" returns the window's numbers.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** Sampling resolution of the delay histogram (ms): fine enough to see a 20 ms stall. */
const RESOLUTION_MS = 5;

if (process.send) {
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  let utilisationStart = performance.eventLoopUtilization();
  let cpuStart = process.cpuUsage();
  let windowStart = performance.now();
  const ms = (ns) => ns / 1e6;
  process.on('message', (message) => {
    if (message?.probe === 'reset') {
      delay.reset();
      utilisationStart = performance.eventLoopUtilization();
      cpuStart = process.cpuUsage();
      windowStart = performance.now();
      process.send({ probe: 'reset', ok: true });
    } else if (message?.probe === 'read') {
      const cpu = process.cpuUsage(cpuStart);
      const seconds = (performance.now() - windowStart) / 1000;
      process.send({
        probe: 'read',
        seconds,
        // The histogram counts the delay beyond the sampling interval itself.
        delay: {
          mean: ms(delay.mean),
          p50: ms(delay.percentile(50)),
          p99: ms(delay.percentile(99)),
          max: ms(delay.max),
          samples: delay.count,
        },
        utilisation: performance.eventLoopUtilization(utilisationStart).utilization,
        cpuPercent: (100 * (cpu.user + cpu.system)) / 1e6 / seconds,
        rssMiB: process.memoryUsage().rss / 2 ** 20,
      });
    }
  });
  // The IPC channel must not keep a host alive that is shutting down.
  process.channel?.unref();
}
