/**
 * The PyTorch twin of the benchmark's model: each layer of the Loupe layers model (a plain chain:
 * small-cnn) written as an op with its weights, in PyTorch's layout, for bench/predict_torch.py to
 * rebuild with the same weights. The twin's logits are checked against ONNX Runtime's in the run.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import { appRoot } from '../main/app/paths';
import { BENCH_GROUP } from './predict-fixtures';

interface Op {
  type: 'conv' | 'batchnorm' | 'relu' | 'maxpool' | 'gap' | 'dense';
  /** Offsets (in floats) into the weights file and shapes, in PyTorch's layout. */
  tensors?: Record<string, { offset: number; shape: number[] }>;
  config?: Record<string, number | string>;
}

/** Writes `<base>.json` (ops) and `<base>.bin` (float32 weights); throws for a layer it has no twin for. */
export function writeTorchTwin(model: tf.LayersModel, base: string): void {
  const ops: Op[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  const put = (t: tf.Tensor, perm?: number[]): { offset: number; shape: number[] } => {
    const arranged = perm ? tf.transpose(t, perm) : t;
    const data = arranged.dataSync() as Float32Array;
    const entry = { offset, shape: arranged.shape };
    if (arranged !== t) arranged.dispose();
    chunks.push(Float32Array.from(data));
    offset += data.length;
    return entry;
  };
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    const config = layer.getConfig() as Record<string, unknown>;
    const weights = layer.getWeights();
    if (kind === 'InputLayer') continue;
    if (kind === 'Conv2D') {
      if (config.padding !== 'same') throw new Error(`no twin for ${config.padding} padding`);
      const tensors: Op['tensors'] = { weight: put(weights[0]!, [3, 2, 0, 1]) };
      if (weights[1]) tensors.bias = put(weights[1]);
      ops.push({ type: 'conv', tensors, config: { stride: (config.strides as number[])[0]! } });
      if (config.activation === 'relu') ops.push({ type: 'relu' });
    } else if (kind === 'BatchNormalization') {
      const [gamma, beta, mean, variance] = weights as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      ops.push({
        type: 'batchnorm',
        tensors: { weight: put(gamma), bias: put(beta), mean: put(mean), var: put(variance) },
        config: { eps: config.epsilon as number },
      });
    } else if ((kind === 'Activation' && config.activation === 'relu') || kind === 'ReLU') {
      ops.push({ type: 'relu' });
    } else if (kind === 'MaxPooling2D') {
      ops.push({ type: 'maxpool', config: { size: (config.poolSize as number[])[0]! } });
    } else if (kind === 'GlobalAveragePooling2D') {
      ops.push({ type: 'gap' });
    } else if (kind === 'Dense') {
      ops.push({ type: 'dense', tensors: { weight: put(weights[0]!, [1, 0]), bias: put(weights[1]!) } });
    } else throw new Error(`no PyTorch twin for a ${kind} layer`);
  }
  const all = new Float32Array(offset);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  writeFileSync(`${base}.json`, JSON.stringify(ops));
  writeFileSync(`${base}.bin`, new Uint8Array(all.buffer));
}

/** The PyTorch twin (bench/predict_torch.py) on the same tensors; null with the reason when PyTorch is unavailable. */
export function torchOnly(
  twinBase: string,
  tensors: readonly ort.Tensor[],
  scratch: string,
  threads: number,
  passes: number,
): { rate: number; version: string; firstLogits: number[] } | { unavailable: string } {
  const images = tensors.reduce((n, t) => n + t.dims[0]!, 0);
  const [, c, h, w] = tensors[0]!.dims as number[];
  const all = new Float32Array(tensors.reduce((n, t) => n + t.size, 0));
  let at = 0;
  for (const t of tensors) {
    all.set(t.data as Float32Array, at);
    at += t.size;
  }
  const input = path.join(scratch, 'tensors.bin');
  writeFileSync(input, new Uint8Array(all.buffer));
  const script = path.join(appRoot(), 'bench', 'predict_torch.py');
  const child = spawnSync(
    '/usr/bin/python3',
    [
      script,
      twinBase,
      input,
      String(images),
      String(c),
      String(h),
      String(w),
      '--threads',
      String(threads),
      '--batch',
      String(BENCH_GROUP),
      '--passes',
      String(passes * tensors.length),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (child.status !== 0)
    return { unavailable: (child.stderr || child.error?.message || '').trim().split('\n').pop() ?? 'failed' };
  const out = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
    imagesPerSecond: number;
    torch: string;
    logits: number[];
  };
  return { rate: out.imagesPerSecond, version: out.torch, firstLogits: out.logits };
}
