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
export const ARMNN_PYTHON = process.env.LOUPE_ARMNN_PYTHON ?? '/usr/bin/python3';
export const ARMNN_PACKAGES = 'python3-pyarmnn libarmnn-cpuref-backend22 libarmnntfliteparser22';

/** argv: model.tflite, input.bin (float32 NHWC, images one after another), image count, output.bin; prints the Arm NN version. */
const SCRIPT = String.raw`
import sys
import numpy as np
import pyarmnn as ann

model, input_path, count, output_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
parser = ann.ITfLiteParser()
network = parser.CreateNetworkFromBinaryFile(model)
graph = 0
input_name = parser.GetSubgraphInputTensorNames(graph)[0]
output_name = parser.GetSubgraphOutputTensorNames(graph)[0]
input_binding = parser.GetNetworkInputBindingInfo(graph, input_name)
output_binding = parser.GetNetworkOutputBindingInfo(graph, output_name)
runtime = ann.IRuntime(ann.CreationOptions())
optimised, messages = ann.Optimize(network, [ann.BackendId("CpuRef")], runtime.GetDeviceSpec(), ann.OptimizerOptions())
net_id, _ = runtime.LoadNetwork(optimised)
info = input_binding[1]
dtype = np.int8 if info.GetDataType() == ann.DataType_QAsymmS8 else np.float32
images = np.fromfile(input_path, dtype=np.float32).reshape(count, -1)
outputs = []
for image in images:
    data = image
    if dtype == np.int8:
        data = np.clip(np.round(image / info.GetQuantizationScale()) + info.GetQuantizationOffset(), -128, 127)
    tensors = ann.make_input_tensors([input_binding], [data.astype(dtype)])
    out_tensors = ann.make_output_tensors([output_binding])
    runtime.EnqueueWorkload(net_id, tensors, out_tensors)
    result = ann.workload_tensors_to_ndarray(out_tensors)[0].astype(np.float32).ravel()
    out_info = output_binding[1]
    if out_info.GetDataType() == ann.DataType_QAsymmS8:
        result = (result - out_info.GetQuantizationOffset()) * out_info.GetQuantizationScale()
    outputs.append(result)
np.concatenate(outputs).astype(np.float32).tofile(output_path)
print(ann.ARMNN_VERSION)
`;

export interface ArmnnResult {
  outputs: Float32Array;
  /** Arm NN's version, for the bundle's card. */
  version: string;
}

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(ARMNN_PYTHON, ['-c', SCRIPT, ...args], { maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout.trim().split('\n').at(-1) ?? '');
      const missing = /No module named 'pyarmnn'|ENOENT/.test(`${stderr}${error.message}`);
      reject(
        new LoupeError(
          'INVALID_REQUEST',
          missing
            ? `The TFLite export is checked by Arm NN before it is written, and ${ARMNN_PYTHON} cannot load it: install ${ARMNN_PACKAGES} (Debian/Ubuntu), or set LOUPE_ARMNN_PYTHON to a Python that has pyarmnn.`
            : `Arm NN could not run the TFLite export: ${stderr.trim().split('\n').at(-1) ?? error.message}`,
        ),
      );
    });
  });
}

/** Runs `model` on `count` images (float32 NHWC, one after another) and returns the outputs, flattened. */
export async function runArmnn(model: Uint8Array, images: Float32Array, count: number): Promise<ArmnnResult> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'loupe-tflite-'));
  try {
    const files = ['model.tflite', 'input.bin', 'output.bin'].map((f) => path.join(dir, f)) as [string, string, string];
    await fs.writeFile(files[0], model);
    await fs.writeFile(files[1], new Uint8Array(images.buffer, images.byteOffset, images.byteLength));
    const version = await run([files[0], files[1], String(count), files[2]]);
    const bytes = await fs.readFile(files[2]);
    return {
      outputs: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
      version,
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
