/**
 * A verification model's gallery from files (contract/channels/batch-gallery.ts): every image
 * file under the paths given is decoded in the decode pool (its first frame, as the Train
 * section enrols a workspace image) and embedded by the engine, a few at a time, into the model
 * folder's gallery.json. A file that cannot be read or embedded is reported with its reason and
 * the rest are enrolled; a cancel keeps what was enrolled before it.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  LoupeError,
  MAX_GALLERY_FILES,
  type GalleryListing,
  type GalleryLabelSource,
  type ParsedRequestOf,
  type ReplyOf,
} from '../../../contract/index';
import type { EngineRequestOf } from '../../../contract/engine/protocol';
import { engineFrame } from '../../../ml/decode/engine-frame';
import type { EngineSupervisor } from '../../engine/supervisor';
import type { DecodePool } from '../imaging/decode-pool';
import { walkFiles } from '../imaging/file-walk';
import { framePixels } from '../imaging/frame-pixels';
import { modelFacts, type BatchService } from './batch-service';
import { callSignal, retryable } from './call-signal';

type Model = ParsedRequestOf<'batch.gallery'>['model'];
interface Enrolling {
  file: string;
  reference: EngineRequestOf<'galleryEnrol'>['references'][number];
}

/** References embedded per engine call: a few frames of any size in flight, not a folder's worth. */
const ENROL_GROUP = 32;
/** Longest reference id the gallery takes (galleryReferenceSchema). */
const MAX_ID = 200;

/** A file's reference id: its absolute path, or where that is too long, its end and a hash of the whole. */
export function fileReferenceId(file: string): string {
  if (file.length <= MAX_ID) return file;
  const hash = createHash('sha256').update(file).digest('hex').slice(0, 16);
  return `…${file.slice(-(MAX_ID - hash.length - 2))}#${hash}`;
}

/** A file's reference label: its folder's name (a folder per identity) or its name without extension. */
export function fileReferenceLabel(file: string, source: GalleryLabelSource): string {
  if (source === 'folder') return path.basename(path.dirname(file));
  const name = path.basename(file);
  const dot = name.indexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

export class GalleryFiles {
  constructor(
    private readonly batch: BatchService,
    private readonly engine: EngineSupervisor,
    private readonly pool: DecodePool,
  ) {}

  /**
   * The folder of a verification model whose gallery is read: a model folder, or an exported bundle
   * (the gallery exported with it); `change`: one that is enrolled into or pruned, never a bundle.
   */
  private async verifier(model: Model, change = false): Promise<string> {
    const modelDir = this.batch.modelDir(model);
    const { facts, exported } = await modelFacts(modelDir);
    if (exported && change)
      throw new LoupeError(
        'INVALID_REQUEST',
        `${modelDir} is an exported bundle; its gallery is the one exported with it. Enrol in the Loupe model folder it came from and export again with --gallery.`,
      );
    if (facts.task !== 'verification')
      throw new LoupeError('INVALID_REQUEST', `A gallery is for verification models; this model does ${facts.task}.`);
    return modelDir;
  }

  async list(model: Model): Promise<GalleryListing> {
    return this.engine.call('galleryList', { modelDir: await this.verifier(model) });
  }

  async remove(request: ParsedRequestOf<'batch.galleryRemove'>): Promise<GalleryListing> {
    const modelDir = await this.verifier(request.model, true);
    const ids =
      'ids' in request.remove
        ? request.remove.ids
        : (await this.engine.call('galleryList', { modelDir })).references.map((r) => r.id);
    if (ids.length === 0) return this.engine.call('galleryList', { modelDir });
    return this.engine.call('galleryRemove', { modelDir, ids });
  }

  /**
   * References enrolled from files (the id is the file's path), as the viewer shows them: the
   * gallery is read once for them all, and only ids it holds are read, so a reference names no other
   * path. One enrolled from a workspace image the renderer shows as that image.
   */
  async pictures(model: Model, ids: readonly string[]): Promise<ReplyOf<'batch.galleryPictures'>> {
    const modelDir = await this.verifier(model);
    const held = new Set((await this.engine.call('galleryList', { modelDir })).references.map((r) => r.id));
    const pictureOf = async (id: string): Promise<ReplyOf<'batch.galleryPictures'>['pictures'][number]> => {
      const missing = (reason: string) => ({ id, frame: null, reason });
      if (!held.has(id)) return missing(`The gallery of ${modelDir} holds no reference "${id}" (removed since?).`);
      if (!path.isAbsolute(id))
        return missing(
          `Reference "${id}" names no file to show (enrolled from a workspace image, or from a path too long to keep whole).`,
        );
      try {
        const read = await this.pool.read(id);
        return { id, frame: framePixels(0, 0, read.frames[0]!, read.info), reason: null };
      } catch (error) {
        return missing(`Reference ${id} can no longer be read: ${(error as Error).message}`);
      }
    };
    return { pictures: await Promise.all(ids.map(pictureOf)) };
  }

  async enrol(
    request: ParsedRequestOf<'batch.galleryEnrol'>,
    signal: AbortSignal,
    progress: (done: number, total: number) => void,
  ): Promise<ReplyOf<'batch.galleryEnrol'>> {
    const modelDir = await this.verifier(request.model, true);
    for (const input of request.inputs)
      if (!(await fs.stat(input).catch(() => null))) throw new LoupeError('NOT_FOUND', `There is nothing at ${input}.`);
    const files: string[] = [];
    for await (const found of walkFiles(request.inputs, signal)) {
      files.push(found.path);
      if (files.length > MAX_GALLERY_FILES)
        throw new LoupeError(
          'INVALID_REQUEST',
          `The paths hold more than ${MAX_GALLERY_FILES.toLocaleString('en')} files; a gallery holds references (a few per identity), not a dataset. Name the reference images' folders only.`,
        );
    }
    if (files.length === 0) throw new LoupeError('INVALID_REQUEST', 'The paths hold no files to enrol.');
    const failures: { path: string; reason: string }[] = [];
    let enrolled = 0;
    let gallery: GalleryListing | null = null;
    progress(0, files.length);
    for (let start = 0; start < files.length; start += ENROL_GROUP) {
      if (signal.aborted)
        throw new LoupeError('CANCELLED', `Enrolment cancelled; ${enrolled} references were enrolled before it.`);
      // The group's files decode side by side in the pool's workers; failures are kept in file order.
      const slice = files.slice(start, start + ENROL_GROUP);
      const decoded = await Promise.all(
        slice.map((file) =>
          this.pool.frame(file, 0).then(
            (frame) => ({ file, frame, reason: null }),
            (error: unknown) => ({ file, frame: null, reason: (error as Error).message }),
          ),
        ),
      );
      const group: Enrolling[] = [];
      for (const { file, frame, reason } of decoded) {
        if (!frame) failures.push({ path: file, reason: reason! });
        else {
          const label = fileReferenceLabel(file, request.label);
          group.push({ file, reference: { id: fileReferenceId(file), label, frame: engineFrame(frame) } });
        }
      }
      const result = await this.enrolGroup(modelDir, group, failures, signal);
      if (result) [gallery, enrolled] = [result.gallery, enrolled + result.enrolled];
      progress(Math.min(files.length, start + ENROL_GROUP), files.length);
    }
    return { gallery: gallery ?? (await this.engine.call('galleryList', { modelDir })), enrolled, failures };
  }

  /** One group into the gallery; where the engine refuses it, each reference alone, so one bad image costs only itself. */
  private async enrolGroup(
    modelDir: string,
    group: readonly Enrolling[],
    failures: { path: string; reason: string }[],
    signal: AbortSignal,
  ): Promise<{ gallery: GalleryListing; enrolled: number } | null> {
    if (group.length === 0) return null;
    try {
      const references = group.map((g) => g.reference);
      const gallery = await callSignal(signal, (s) =>
        this.engine.call('galleryEnrol', { modelDir, references }, { signal: s }),
      );
      return { gallery, enrolled: group.length };
    } catch (error) {
      if (signal.aborted || !retryable(error)) throw error;
      if (group.length === 1) {
        failures.push({ path: group[0]!.file, reason: (error as Error).message });
        return null;
      }
    }
    let gallery: GalleryListing | null = null;
    let enrolled = 0;
    for (const one of group) {
      const alone = await this.enrolGroup(modelDir, [one], failures, signal);
      if (alone) [gallery, enrolled] = [alone.gallery, enrolled + 1];
    }
    return gallery && { gallery, enrolled };
  }
}
