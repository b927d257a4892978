import { describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/services';
import { runCli } from '../helpers/cli';
import { expectedBackend } from '../helpers/expected-backend';
import { chooseAdapter } from '../../ml/backends/webgpu/adapters';

/** Whether Dawn offers an adapter when forced (it sets EGL_PLATFORM here; the test below unsets it for the CLI). */
const webgpuForced = await chooseAdapter(true).then(
  () => true,
  () => false,
);

describe('loupe CLI', () => {
  requireBuild();

  it('prints help and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: loupe/);
    expect(result.stdout).toMatch(/start/);
  });

  it('rejects an unknown command on stderr with exit code 2', async () => {
    const result = await runCli(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown command 'frobnicate'/);
    expect(result.stdout).toBe('');
  });

  it('reports the engine backend as JSON', async () => {
    const result = await runCli(['engine', 'info', '--json']);
    expect(result.code).toBe(0);
    const info = JSON.parse(result.stdout) as { backend: string; versions: { tfjs: string } };
    expect(info.backend).toBe(expectedBackend());
    expect(info.versions.tfjs).toMatch(/^4\./);
  });

  it('honours LOUPE_BACKEND', async () => {
    const result = await runCli(['engine', 'info', '--json'], { env: { LOUPE_BACKEND: 'cpu' } });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ backend: 'cpu', attempts: [{ backend: 'cpu', ok: true }] });
  });

  // Where Dawn finds an adapter when forced (Mesa's OpenGL ES on CI), as the WebGPU unit tests do.
  it.skipIf(!webgpuForced && process.env.CI !== 'true')(
    'LOUPE_BACKEND=webgpu starts WebGPU with EGL_PLATFORM unset (the engine thread cannot set it for Mesa)',
    async () => {
      const result = await runCli(['engine', 'info', '--json'], {
        env: { LOUPE_BACKEND: 'webgpu', EGL_PLATFORM: undefined },
      });
      expect(result.stderr).not.toMatch(/no WebGPU adapter/);
      expect(JSON.parse(result.stdout)).toMatchObject({
        backend: 'webgpu',
        attempts: [{ backend: 'webgpu', ok: true }],
      });
    },
  );

  it('explains a bad LOUPE_BACKEND in one line, without a stack trace', async () => {
    const result = await runCli(['engine', 'info'], { env: { LOUPE_BACKEND: 'quantum' } });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^loupe: LOUPE_BACKEND=quantum is not a backend/),
    ]);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('shows the stack with --debug', async () => {
    const result = await runCli(['--debug', 'engine', 'info'], { env: { LOUPE_BACKEND: 'quantum' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\n\s+at /);
  });

  // libgomp prints its settings as it loads (OMP_DISPLAY_ENV); the CLI's engine loads oneDNN in a
  // worker thread, whose process.env native code never reads. A spin count of 0 is the passive policy.
  it.skipIf(expectedBackend() !== 'onednn')("runs oneDNN's OpenMP threads with the passive wait policy", async () => {
    const display = { OMP_DISPLAY_ENV: 'VERBOSE', OMP_WAIT_POLICY: undefined, GOMP_SPINCOUNT: undefined };
    const passive = await runCli(['engine', 'info'], { env: display });
    expect(passive.code).toBe(0);
    expect(passive.stderr).toMatch(/GOMP_SPINCOUNT = '0'/);
    const chosen = await runCli(['engine', 'info'], { env: { ...display, OMP_WAIT_POLICY: 'ACTIVE' } });
    expect(chosen.stderr).toMatch(/OMP_WAIT_POLICY = 'ACTIVE'/);
    expect(chosen.stderr).not.toMatch(/GOMP_SPINCOUNT = '0'/);
  });

  it('validates options like the UI does', async () => {
    const result = await runCli(['engine', 'benchmark', '--size', '5']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^loupe: Invalid request to engine.benchmark: size/);
  });
});
