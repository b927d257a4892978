/**
 * The independent runtime that checks a TFLite export: Arm NN's TfLiteParser reads the file and
 * its CpuRef backend (plain reference kernels, written apart from TFLite's and from Loupe's) runs
 * it, through Arm NN's Python binding (Debian: python3-pyarmnn, libarmnn-cpuref-backend22,
 * libarmnntfliteparser22). Images go in and outputs come back as raw little-endian files.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LoupeError } from '../../../contract/index';

/** The Python that has pyarmnn; Debian's by default. */
export function armnnPython(): string {
  return process.env.LOUPE_ARMNN_PYTHON ?? '/usr/bin/python3';
}
export const ARMNN_PACKAGES = 'python3-pyarmnn libarmnn-cpuref-backend22 libarmnntfliteparser22';

/**
 * argv: mode, model.tflite, input.bin (float32 NHWC, images one after another), image count,
 * output.bin. Mode `values` writes the first output of every image to output.bin; mode `ranges`
 * writes each subgraph output's minimum and maximum over the images (float32 pairs, in the
 * subgraph's output order). Prints the Arm NN version.
 */
const SCRIPT = String.raw`
import sys
import numpy as np
import pyarmnn as ann

mode, model, input_path, count, output_path = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
parser = ann.ITfLiteParser()
network = parser.CreateNetworkFromBinaryFile(model)
input_binding = parser.GetNetworkInputBindingInfo(0, parser.GetSubgraphInputTensorNames(0)[0])
output_bindings = [parser.GetNetworkOutputBindingInfo(0, n) for n in parser.GetSubgraphOutputTensorNames(0)]
runtime = ann.IRuntime(ann.CreationOptions())
optimised, _ = ann.Optimize(network, [ann.BackendId("CpuRef")], runtime.GetDeviceSpec(), ann.OptimizerOptions())
net_id, _ = runtime.LoadNetwork(optimised)
images = np.fromfile(input_path, dtype=np.float32).reshape(count, -1)
first = []
ranges = np.array([[np.inf, -np.inf]] * len(output_bindings), dtype=np.float64)
for image in images:
    out_tensors = ann.make_output_tensors(output_bindings)
    runtime.EnqueueWorkload(net_id, ann.make_input_tensors([input_binding], [image]), out_tensors)
    results = ann.workload_tensors_to_ndarray(out_tensors)
    if mode == "values":
        first.append(results[0].astype(np.float32).ravel())
    else:
        for i, r in enumerate(results):
            ranges[i] = [min(ranges[i][0], float(r.min())), max(ranges[i][1], float(r.max()))]
(np.concatenate(first) if mode == "values" else ranges.ravel()).astype(np.float32).tofile(output_path)
print(ann.ARMNN_VERSION)
`;

export interface ArmnnResult {
  outputs: Float32Array;
  /** Arm NN's version, for the bundle's card. */
  version: string;
}

/** `signal` ends the Python process at once: a reference-kernel pass over a large model takes long. */
function run(args: string[], signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const options = { maxBuffer: 1 << 20, ...(signal ? { signal } : {}) };
    execFile(armnnPython(), ['-c', SCRIPT, ...args], options, (error, stdout, stderr) => {
      if (!error) return resolve(stdout.trim().split('\n').at(-1) ?? '');
      // Node ended the process for the signal (not Python failing on its own).
      if (error.name === 'AbortError') return reject(new LoupeError('CANCELLED', 'Cancelled.'));
      const missing = /No module named 'pyarmnn'|ENOENT/.test(`${stderr}${error.message}`);
      reject(
        new LoupeError(
          'INVALID_REQUEST',
          missing
            ? `The TFLite export is checked by Arm NN before it is written, and ${armnnPython()} cannot load it: install ${ARMNN_PACKAGES} (Debian/Ubuntu), or set LOUPE_ARMNN_PYTHON to a Python that has pyarmnn.`
            : `Arm NN could not run the TFLite export: ${stderr.trim().split('\n').at(-1) ?? error.message}`,
        ),
      );
    });
  });
}

/** Runs `model` on `count` images (float32 NHWC, one after another) in the given mode. */
async function runMode(
  mode: 'values' | 'ranges',
  model: Uint8Array,
  images: Float32Array,
  count: number,
  signal?: AbortSignal,
): Promise<ArmnnResult> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'loupe-tflite-'));
  try {
    const files = ['model.tflite', 'input.bin', 'output.bin'].map((f) => path.join(dir, f)) as [string, string, string];
    await fs.writeFile(files[0], model);
    await fs.writeFile(files[1], new Uint8Array(images.buffer, images.byteOffset, images.byteLength));
    const version = await run([mode, files[0], files[1], String(count), files[2]], signal);
    const bytes = await fs.readFile(files[2]);
    return {
      outputs: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
      version,
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** The model's (first) output for each image, flattened one image after another. */
export function runArmnn(
  model: Uint8Array,
  images: Float32Array,
  count: number,
  signal?: AbortSignal,
): Promise<ArmnnResult> {
  return runMode('values', model, images, count, signal);
}

/** Each subgraph output's [minimum, maximum] over the images, in the subgraph's output order. */
export async function armnnRanges(
  model: Uint8Array,
  images: Float32Array,
  count: number,
  signal?: AbortSignal,
): Promise<[number, number][]> {
  const { outputs } = await runMode('ranges', model, images, count, signal);
  return Array.from({ length: outputs.length / 2 }, (_, i) => [outputs[2 * i]!, outputs[2 * i + 1]!]);
}
