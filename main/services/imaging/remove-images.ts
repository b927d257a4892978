/**
 * Removing images from a workspace (see contract/channels/imaging-remove.ts). The rows go in one
 * transaction (labels, masks, boxes, pairs and splits follow by ON DELETE CASCADE); the files
 * Loupe made for them (mask PNGs, thumbnails) are deleted after it commits. Source files are
 * never opened for writing, let alone deleted.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LoupeError, type ReplyOf, type RequestOf } from '../../../contract/index';
import { readRunRecord } from '../../../base/run-files';
import { thumbnailPath } from '../../../ml/decode/thumbnail';
import { removeMaskFiles } from '../labels/mask-files';
import { RUNS_FOLDER } from '../training/run-store';
import type { Workspace } from '../workspace/workspace';

type Request = RequestOf<'imaging.remove'>;
type Reply = ReplyOf<'imaging.remove'>;

/** Completed runs whose dataset snapshot holds any of `ids`, with how many of them. */
async function runsTrainedOn(workspace: Workspace, ids: ReadonlySet<number>): Promise<Reply['trainedOn']> {
  const runs = workspace.db.prepare("SELECT id FROM runs WHERE state = 'completed' ORDER BY created_at").all() as {
    id: string;
  }[];
  const trainedOn: Reply['trainedOn'] = [];
  for (const { id } of runs) {
    const record = await readRunRecord(path.join(workspace.root, RUNS_FOLDER, id)).catch(() => null);
    if (!record) continue;
    const { train, val, test } = record.dataset.splits;
    const images = new Set([...train, ...val, ...test].map(Number).filter((n) => ids.has(n))).size;
    if (images > 0) trainedOn.push({ runId: id, images });
  }
  return trainedOn;
}

async function unlinkCounted(files: readonly string[]): Promise<number> {
  let deleted = 0;
  for (const file of files)
    await fs.unlink(file).then(
      () => deleted++,
      () => undefined,
    );
  return deleted;
}

export async function removeImages(workspace: Workspace, request: Request): Promise<Reply> {
  const running = workspace.db.prepare("SELECT id FROM runs WHERE state = 'running' LIMIT 1").get() as
    | { id: string }
    | undefined;
  if (running)
    throw new LoupeError(
      'CONFLICT',
      `Run ${running.id} is training and reads the workspace's images: cancel it or let it finish, then remove images.`,
    );
  const wanted = [...new Set(request.imageIds)];
  const select = workspace.db.prepare('SELECT id, sha256 FROM images WHERE id = ?');
  const found = wanted.flatMap((id) => (select.get(id) as { id: number; sha256: string } | undefined) ?? []);
  const ids = new Set(found.map((f) => f.id));
  const trainedOn = await runsTrainedOn(workspace, ids);
  if (trainedOn.length > 0 && !request.evenIfTrained) {
    const count = trainedOn.reduce((n, r) => Math.max(n, r.images), 0);
    throw new LoupeError(
      'CONFLICT',
      `${trainedOn.length === 1 ? 'Run' : 'Runs'} ${trainedOn.map((r) => r.runId).join(', ')} trained on ${
        count === 1 ? 'one of these images' : `up to ${count} of these images`
      }. The runs keep their records and models; remove the images anyway only if you no longer need to train on them again.`,
    );
  }
  const maskFile = workspace.db.prepare('SELECT file FROM masks WHERE image_id = ?');
  const maskFiles = found.flatMap((f) => (maskFile.all(f.id) as { file: string }[]).map((m) => m.file));
  const remove = workspace.db.prepare('DELETE FROM images WHERE id = ?');
  workspace.db.transaction(() => {
    for (const f of found) remove.run(f.id);
  })();
  await removeMaskFiles(workspace.root, maskFiles);
  const maskFilesLeft = await Promise.all(
    maskFiles.map((file) =>
      fs.access(path.join(workspace.root, file)).then(
        () => true,
        () => false,
      ),
    ),
  );
  const thumbnailsDeleted = await unlinkCounted(found.map((f) => thumbnailPath(workspace.root, f.sha256)));
  return {
    removed: found.length,
    notFound: wanted.length - found.length,
    maskFilesDeleted: maskFilesLeft.filter((left) => !left).length,
    thumbnailsDeleted,
    trainedOn,
  };
}
