/**
 * oneDNN runs its threads with OpenMP (libgomp), which reads its settings from the process's
 * environment once, when the addon loads. By default an idle OpenMP thread spins for about
 * 300,000 turns before it sleeps; Loupe shares the cores with the UI, the decode workers and
 * whatever else the user runs, and a spinning thread holds a core they need. When another program
 * keeps the cores busy, a thread waiting at a barrier spins while the thread it waits for is not
 * running, and training slows far past its share of the machine.
 *
 * This must run in the process's main thread before any thread loads the addon: a worker thread's
 * `process.env` is its own copy, which native code never sees. A value the user set is kept.
 */
export function preferSleepingOpenMpThreads(): void {
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
}
