/**
 * Mesa's EGL reads EGL_PLATFORM from the process's environment when Dawn first asks it for an
 * OpenGL ES adapter (adapters.ts sets it to `surfaceless`, headless EGL, when unset). A Node host
 * (CLI, web host) runs the engine in a worker thread, whose `process.env` is its own copy that
 * native code never sees: set there, the value was ignored and `LOUPE_BACKEND=webgpu loupe …`
 * found no adapter ("eglInitialize failed"). The host calls this in its main thread before the
 * engine's thread starts, where LOUPE_BACKEND=webgpu forces the backend (only a forced start takes
 * Dawn's OpenGL ES backend). A value the user set is kept. Kept apart from adapters.ts so that the
 * host does not load the `webgpu` package (the layer rule).
 */
export function prepareHeadlessOpenGles(): void {
  if (process.env.LOUPE_BACKEND === 'webgpu') process.env.EGL_PLATFORM ??= 'surfaceless';
}
