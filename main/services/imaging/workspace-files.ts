/**
 * What Loupe itself writes into a workspace folder. An import walk never takes these in, even from
 * inside the workspace: a thumbnail, a mask, a run's heatmap or a batch's output imported as an
 * image would be a copy of Loupe's own work posing as the user's data.
 */
import path from 'node:path';
import { THUMBNAILS_FOLDER } from '../../../ml/decode/thumbnail';
import { JOBS_FOLDER } from '../batch/job-record';
import { MASKS_FOLDER } from '../labels/mask-files';
import { RUNS_FOLDER } from '../training/run-store';
import { DB_FILE } from '../workspace/workspace';

/** Where dropped files are kept (sources/<sha256>.<ext>), to be imported from there by name. */
export const SOURCES_FOLDER = 'sources';

/** SQLite's companions of the database file (write-ahead log, shared memory, rollback journal). */
const DB_COMPANIONS = ['-wal', '-shm', '-journal'];

export function loupeOwnPaths(root: string): string[] {
  const names = [DB_FILE, ...DB_COMPANIONS.map((suffix) => DB_FILE + suffix)];
  names.push(THUMBNAILS_FOLDER, MASKS_FOLDER, RUNS_FOLDER, JOBS_FOLDER, SOURCES_FOLDER);
  return names.map((name) => path.join(root, name));
}
