/**
 * Mesa's EGL reads EGL_PLATFORM from the process's environment when Dawn first asks it for an
 * OpenGL ES adapter; `surfaceless` is EGL without a display server. Kept apart from adapters.ts so
 * that a host can import it without loading the `webgpu` package (the layer rule).
 */

/** Headless EGL for Dawn's OpenGL ES backend, unless the user set EGL_PLATFORM. */
export function useHeadlessEgl(): void {
  process.env.EGL_PLATFORM ??= 'surfaceless';
}

/**
 * A Node host (CLI, web host) runs the engine in a worker thread, whose `process.env` is its own
 * copy that native code never sees: set there (adapters.ts), the value was ignored and
 * `LOUPE_BACKEND=webgpu loupe …` found no adapter ("eglInitialize failed"). The host calls this in
 * its main thread before the engine's thread starts, where LOUPE_BACKEND=webgpu forces the backend
 * (only a forced start takes Dawn's OpenGL ES backend).
 */
export function prepareHeadlessOpenGles(): void {
  if (process.env.LOUPE_BACKEND === 'webgpu') useHeadlessEgl();
}
