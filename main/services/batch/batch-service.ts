/**
 * Batch prediction over folders: the service `loupe predict` calls, and the Batch section will.
 * The model is a run's model folder in the open workspace or any Loupe model folder; prediction
 * goes through the engine's `predict` (the model card's preprocessing, masks, boxes after NMS),
 * decoding through the decode pool, and results into an output folder that can be resumed.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import {
  EXPLAIN_METHODS,
  LoupeError,
  modelCardSchema,
  type BatchProgress,
  type BatchReport,
  type ExplainMethodName,
  type RuntimeChoice,
  type ModelCard,
} from '../../../contract/index';
import { MODEL_CARD, WEIGHTS_BIN } from '../../../base/model-folder-files';
import { ONNX_MODEL, readExportBundle } from '../../../base/export-bundle';
import { runFile } from '../../../base/run-files';
import type { EngineSupervisor } from '../../engine/supervisor';
import type { DecodePool } from '../imaging/decode-pool';
import { RunStore } from '../training/run-store';
import type { WorkspaceService } from '../workspace/workspace-service';
import { runBatch } from './batch-job';
import { OUTPUT_FORMATS, TASK_FORMATS, type ModelFacts, type OutputFormat } from './formats';
import { openOutput } from './output-folder';
import { parseShard, type Shard } from './shard';

export interface BatchRequest {
  /** A completed run of the open workspace, or a model folder. */
  model: { runId: string } | { dir: string };
  inputs: readonly string[];
  out: string;
  /** Empty: the task's default formats. */
  formats: readonly string[];
  threshold?: number | undefined;
  gallery?: { k: number } | undefined;
  explain?: ExplainMethodName | undefined;
  resume: boolean;
  shard: Shard | null;
  /** Default 'auto': the fastest runtime that agrees with the engine. */
  runtime?: RuntimeChoice | undefined;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A model folder's (or exported bundle's) card and identity: the run that trained it and the hash
 * of its weights (of model.onnx for a bundle). `exported`: a bundle, which predicts through ONNX Runtime.
 */
export async function modelFacts(dir: string): Promise<{ card: ModelCard; facts: ModelFacts; exported: boolean }> {
  const bundle = await readExportBundle(dir);
  if (bundle) {
    const { card } = bundle;
    const weightsSha256 = await sha256File(path.join(dir, ONNX_MODEL));
    return {
      card,
      facts: { modelId: card.run.runId, weightsSha256, task: card.task, classes: card.classes },
      exported: true,
    };
  }
  const text = await fs.readFile(path.join(dir, MODEL_CARD), 'utf8').catch(() => null);
  if (text === null)
    throw new LoupeError(
      'NOT_FOUND',
      `${dir} is not a Loupe model folder (no ${MODEL_CARD}); give a run's model folder, or --workspace and --run.`,
    );
  let card: ModelCard;
  try {
    card = modelCardSchema.parse(JSON.parse(text));
  } catch {
    throw new LoupeError(
      'INVALID_REQUEST',
      `${path.join(dir, MODEL_CARD)} is not a model card this version of Loupe reads.`,
    );
  }
  const weights = path.join(dir, WEIGHTS_BIN);
  if (!existsSync(weights))
    throw new LoupeError('NOT_FOUND', `${dir} has no ${WEIGHTS_BIN}; the model folder is incomplete.`);
  return {
    card,
    facts: {
      modelId: card.run.runId,
      weightsSha256: await sha256File(weights),
      task: card.task,
      classes: card.classes,
    },
    exported: false,
  };
}

export function chooseFormats(task: ModelCard['task'], requested: readonly string[]): Set<OutputFormat> {
  const { allowed, defaults } = TASK_FORMATS[task];
  for (const f of requested) {
    if (!(OUTPUT_FORMATS as readonly string[]).includes(f))
      throw new LoupeError('INVALID_REQUEST', `Unknown --format "${f}"; formats are ${OUTPUT_FORMATS.join(', ')}.`);
    if (!(allowed as readonly string[]).includes(f))
      throw new LoupeError('INVALID_REQUEST', `A ${task} model writes ${allowed.join(', ')}; not ${f}.`);
  }
  return new Set((requested.length > 0 ? requested : defaults) as OutputFormat[]);
}

export class BatchService {
  constructor(
    private readonly workspaces: WorkspaceService,
    private readonly engine: EngineSupervisor,
    private readonly pool: DecodePool,
  ) {}

  /** The model folder a request or job names: a completed run's, or the folder given. */
  modelDir(model: BatchRequest['model']): string {
    if ('dir' in model) return path.resolve(model.dir);
    const store = new RunStore(this.workspaces.require());
    store.require(model.runId);
    const dir = runFile(store.folder(model.runId), 'model');
    if (!existsSync(dir))
      throw new LoupeError(
        'INVALID_REQUEST',
        `Run ${model.runId} has no model yet; only a completed run's model can predict.`,
      );
    return dir;
  }

  /** A gallery query on an empty gallery matches nothing: say so before a whole folder is matched against it. */
  private async requireGallery(modelDir: string, exported: boolean): Promise<void> {
    const listing = await this.engine.call('galleryList', { modelDir });
    if (listing.references.length === 0)
      throw new LoupeError(
        'INVALID_REQUEST',
        exported
          ? `The bundle in ${modelDir} carries no gallery; export the model again with its gallery (\`loupe export --gallery\`) to match against it (--gallery).`
          : `The model in ${modelDir} has no enrolled references; enrol some (Train section, Gallery, or \`loupe gallery enrol\`) before matching against it (--gallery).`,
      );
  }

  /**
   * The model a request names and whether its options fit it, checked before anything is written:
   * `loupe predict` and a Batch section job (before the job exists) are refused alike.
   */
  async check(
    request: Pick<BatchRequest, 'model' | 'formats' | 'threshold' | 'gallery' | 'explain' | 'runtime'>,
  ): Promise<{ modelDir: string; card: ModelCard; facts: ModelFacts; exported: boolean; formats: Set<OutputFormat> }> {
    const modelDir = this.modelDir(request.model);
    const { card, facts, exported } = await modelFacts(modelDir);
    if (exported && request.explain)
      throw new LoupeError(
        'INVALID_REQUEST',
        'Heatmaps (--explain) need the Loupe model folder; an exported ONNX bundle only predicts.',
      );
    if (exported && request.runtime === 'engine')
      throw new LoupeError(
        'INVALID_REQUEST',
        '--runtime engine needs a Loupe model folder; an exported ONNX bundle runs on ONNX Runtime.',
      );
    const formats = chooseFormats(facts.task, request.formats);
    if (request.threshold !== undefined && facts.task !== 'detection' && facts.task !== 'verification') {
      throw new LoupeError(
        'INVALID_REQUEST',
        `A threshold (--threshold) sets a detection score or verification decision threshold; this model does ${facts.task}.`,
      );
    }
    if (request.gallery && facts.task !== 'verification')
      throw new LoupeError(
        'INVALID_REQUEST',
        `Matching against a gallery (--gallery) is for verification models; this model does ${facts.task}.`,
      );
    if (request.explain && facts.task !== 'classification')
      throw new LoupeError(
        'INVALID_REQUEST',
        `Heatmaps (--explain ${EXPLAIN_METHODS.join('|')}) are drawn for classification models; this model does ${facts.task}.`,
      );
    if (request.gallery) await this.requireGallery(modelDir, exported);
    if (facts.task === 'verification' && formats.has('csv') && !request.gallery)
      throw new LoupeError(
        'INVALID_REQUEST',
        'A verification model writes CSV with --gallery (one row per match); its embeddings go to jsonl.',
      );
    return { modelDir, card, facts, exported, formats };
  }

  async predict(
    request: BatchRequest,
    signal: AbortSignal,
    onProgress?: (p: BatchProgress) => void,
  ): Promise<BatchReport> {
    // The same bounds as --shard on the command line (the channel's schema checks only the types).
    if (request.shard) parseShard(`${request.shard.index}/${request.shard.count}`);
    const inputs = request.inputs.map((p) => path.resolve(p));
    const missing = inputs.filter((p) => !existsSync(p));
    if (missing.length > 0)
      throw new LoupeError(
        'NOT_FOUND',
        `${missing.length === 1 ? 'This input does' : 'These inputs do'} not exist: ${missing.join(', ')}.`,
      );
    const { modelDir, card, facts, exported, formats } = await this.check(request);
    const out = path.resolve(request.out);
    const header = {
      format: 'loupe-batch' as const,
      version: 1 as const,
      ...facts,
      formats: [...formats],
      shard: request.shard,
      threshold: request.threshold ?? null,
      gallery: request.gallery ?? null,
      explain: request.explain ?? null,
      createdAt: new Date().toISOString(),
    };
    const journal = await openOutput(out, header, request.resume, request.formats);
    try {
      const run = {
        inputs,
        modelDir,
        model: facts,
        formats: new Set(journal.header.formats as OutputFormat[]),
        shard: request.shard,
        runtime: request.runtime ?? 'auto',
        journal,
        signal,
        ...(request.threshold !== undefined ? { threshold: request.threshold } : {}),
        ...(request.gallery ? { gallery: request.gallery } : {}),
        ...(request.explain ? { explain: request.explain } : {}),
        // Heatmaps and gallery queries need the pixels here; a bundle prepares frames as its own card says.
        ...(exported || request.gallery || request.explain ? {} : { prepare: card.preprocessing }),
        ...(onProgress ? { onProgress } : {}),
      };
      const result = await runBatch(this.engine, this.pool, run);
      if (!result.cancelled) await journal.markComplete();
      return { ...result, out, model: facts };
    } finally {
      await journal.close();
    }
  }
}
