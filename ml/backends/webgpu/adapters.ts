/**
 * GPUs through WebGPU: the `webgpu` package is Dawn (Vulkan on Linux, Metal on macOS, D3D12 on
 * Windows), prebuilt for each platform, so any vendor's GPU works without CUDA or a driver SDK.
 *
 * Loupe trains on a hardware GPU when one is there, and never calls a software rasteriser
 * (Mesa's llvmpipe or lavapipe, SwiftShader, WARP) a GPU: such an adapter is only used when
 * forced (LOUPE_BACKEND=webgpu), which is how CI checks the backend's correctness on Mesa
 * through Dawn's OpenGL ES backend in compatibility mode.
 */
import { existsSync, readdirSync } from 'node:fs';
import { useHeadlessEgl } from './headless-egl';

export interface GpuAdapter {
  /** What the driver calls the device ("NVIDIA GeForce RTX 4070", "llvmpipe (LLVM 15.0.6, 256 bits)"). */
  name: string;
  /** Dawn's backend for it: the platform's native API, or OpenGL ES (compatibility). */
  api: 'native' | 'opengles';
  software: boolean;
}

interface DawnAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter?: boolean;
}

interface DawnAdapter {
  info: DawnAdapterInfo;
}

interface DawnGpu {
  requestAdapter(options?: Record<string, unknown>): Promise<DawnAdapter | null>;
}

interface WebGpuPackage {
  create(flags: string[]): DawnGpu;
  globals: Record<string, unknown>;
}

/** Names of CPU implementations of graphics APIs: adapters that are not GPUs. */
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|softpipe|swiftshader|microsoft basic render|\bwarp\b/i;

export function isSoftwareAdapter(
  info: Pick<DawnAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description' | 'isFallbackAdapter'>,
): boolean {
  if (info.isFallbackAdapter) return true;
  return SOFTWARE_ADAPTER.test([info.vendor, info.architecture, info.device, info.description].join(' '));
}

/**
 * Why this machine cannot have a GPU adapter, before Dawn is asked: on Linux a GPU appears as a
 * DRM render node or an NVIDIA device file. Asking Dawn without one only prints driver warnings.
 */
export function noGpuDeviceReason(): string | null {
  if (process.platform !== 'linux') return null;
  const dri = existsSync('/dev/dri') && readdirSync('/dev/dri').some((name) => name.startsWith('renderD'));
  const nvidia = existsSync('/dev/nvidia0');
  return dri || nvidia ? null : 'no GPU device on this machine (no /dev/dri render node or /dev/nvidia0)';
}

export interface ChosenAdapter {
  adapter: GpuAdapter;
  /** `navigator.gpu` for tfjs-backend-webgpu, asking Dawn for this adapter. */
  gpu: { requestAdapter(options?: Record<string, unknown>): Promise<DawnAdapter | null> };
}

async function webgpuPackage(): Promise<WebGpuPackage> {
  return (await import('webgpu')) as unknown as WebGpuPackage;
}

/** Dawn's adapter for one of its backends, described, or null when that backend has none. */
async function probe(
  pkg: WebGpuPackage,
  api: GpuAdapter['api'],
): Promise<{ adapter: GpuAdapter; gpu: DawnGpu; options: Record<string, unknown> } | null> {
  // Headless Mesa: EGL without a display server (effective in a process's main thread).
  if (api === 'opengles') useHeadlessEgl();
  const gpu = pkg.create(api === 'opengles' ? ['backend=opengles'] : []);
  const options = api === 'opengles' ? { featureLevel: 'compatibility' } : {};
  const found = await gpu.requestAdapter(options).catch(() => null);
  if (!found) return null;
  const info = found.info;
  const name = [info.description, info.device].filter((s) => s).join(' · ') || 'unnamed adapter';
  return { adapter: { name, api, software: isSoftwareAdapter(info) }, gpu, options };
}

/**
 * The adapter to train on: a hardware GPU, or with `allowSoftware` (forced) whatever Dawn offers,
 * OpenGL ES included. Throws with a reason a user can read when there is none.
 */
export async function chooseAdapter(allowSoftware: boolean): Promise<ChosenAdapter & { seen: GpuAdapter[] }> {
  const noDevice = noGpuDeviceReason();
  if (noDevice && !allowSoftware) throw new Error(noDevice);
  const pkg = await webgpuPackage();
  Object.assign(globalThis, pkg.globals);
  const seen: GpuAdapter[] = [];
  for (const api of allowSoftware ? (['native', 'opengles'] as const) : (['native'] as const)) {
    const found = await probe(pkg, api);
    if (!found) continue;
    seen.push(found.adapter);
    if (found.adapter.software && !allowSoftware) continue;
    const { gpu, options } = found;
    return {
      adapter: found.adapter,
      seen,
      gpu: { requestAdapter: (asked) => gpu.requestAdapter({ ...asked, ...options }) },
    };
  }
  if (seen.length > 0)
    throw new Error(`only a software adapter (${seen.map((a) => a.name).join('; ')}), which is not a GPU`);
  throw new Error('no WebGPU adapter');
}
