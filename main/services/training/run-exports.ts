/**
 * The exports a run has had: each successful `training.export` is recorded in the run's folder
 * (exports.json, newest per format), so that the Export section and `loupe export` can compare
 * every variant of a run, whichever call wrote it. A bundle deleted or replaced by hand since is
 * left out: what is compared is what is on disk.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  exportParitySchema,
  runExportSchema,
  type ExportParity,
  type ParsedRequestOf,
  type ReplyOf,
  type RunExport,
} from '../../../contract/index';
import { writeFileAtomic } from '../../../base/atomic-write';

const EXPORTS_FILE = 'exports.json';
const BUNDLE_CARD = 'model-card.json';
/** The model file of the formats ONNX Runtime can run. */
const ONNX_MODEL = /\.onnx$/;

const exportsFileSchema = z.object({ exports: z.array(runExportSchema) });

/** What a bundle's card says that the comparison needs. */
const bundleCardSchema = z.object({
  onnx: z.object({ precision: z.string(), preprocessingBaked: z.boolean() }),
  parity: exportParitySchema,
});

async function readRecorded(runDir: string): Promise<RunExport[]> {
  try {
    return exportsFileSchema.parse(JSON.parse(await fs.readFile(path.join(runDir, EXPORTS_FILE), 'utf8'))).exports;
  } catch {
    // No file yet, or one damaged by hand: the run has no export to compare, which is what the user will see.
    return [];
  }
}

export async function recordRunExport(
  runDir: string,
  request: ParsedRequestOf<'training.export'>,
  reply: ReplyOf<'training.export'>,
): Promise<void> {
  const entry: RunExport = {
    format: reply.format,
    outDir: reply.outDir,
    modelFile: reply.files.find((f) => ONNX_MODEL.test(f)) ?? reply.files[0] ?? '',
    preprocessingBaked: request.preprocessing,
    exportedAt: new Date().toISOString(),
  };
  const kept = (await readRecorded(runDir)).filter((e) => e.format !== entry.format && e.outDir !== entry.outDir);
  await writeFileAtomic(path.join(runDir, EXPORTS_FILE), JSON.stringify({ exports: [...kept, entry] }, null, 2));
}

/** An ONNX export still on disk, with what its bundle card says. */
export interface OnnxBundle extends RunExport {
  precision: 'fp32' | 'int8';
  parity: ExportParity;
}

/** The recorded exports whose bundle is still there, ONNX ones with their card's facts. */
export async function runExports(runDir: string): Promise<{ exports: RunExport[]; onnx: OnnxBundle[] }> {
  const exports: RunExport[] = [];
  const onnx: OnnxBundle[] = [];
  for (const entry of await readRecorded(runDir)) {
    const modelFile = path.join(entry.outDir, entry.modelFile);
    const present = await fs.stat(modelFile).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!present) continue;
    exports.push(entry);
    if (!ONNX_MODEL.test(entry.modelFile)) continue;
    const card = await fs
      .readFile(path.join(entry.outDir, BUNDLE_CARD), 'utf8')
      .then((text) => bundleCardSchema.safeParse(JSON.parse(text)))
      .catch(() => null);
    if (!card?.success) continue;
    onnx.push({
      ...entry,
      preprocessingBaked: card.data.onnx.preprocessingBaked,
      precision: card.data.onnx.precision.startsWith('int8') ? 'int8' : 'fp32',
      parity: card.data.parity,
    });
  }
  return { exports, onnx };
}
