/**
 * The review audit trail survives kill -9: the real browser-mode host runs as a child process
 * while this test records verdicts into it as fast as it can, and is killed with SIGKILL at a
 * random moment, round after round. After every kill the database must pass SQLite's
 * integrity_check and the trail must be exactly the verdicts the host acknowledged, or one more
 * (the one in flight may have committed before its reply was sent), in order, with nothing
 * changed — every earlier round's rows included.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoupeApi } from '../../contract/client';
import type { ReviewVerdictKind } from '../../contract/index';
import { seededRandom } from '../reference/run';
import { startApp } from '../helpers/app';
import { caller } from '../helpers/labels';
import { reviewWorkspace, type ReviewWorkspace } from '../helpers/review-workspace';
import { realServices } from '../helpers/services';
import { connectClient } from '../helpers/ws-client';

/** Each round starts the host and its engine; LOUPE_CRASH_KILLS raises it for a longer soak. */
const KILLS = Math.max(20, Number(process.env.LOUPE_CRASH_KILLS ?? 20));
/** The kill lands this long after the round's first verdict is acknowledged (the engine is up by then). */
const KILL_AFTER_MS: [number, number] = [0, 250];
const KINDS: readonly ReviewVerdictKind[] = ['agree', 'disagree', 'unsure'];

interface Expected {
  imageId: number;
  verdict: ReviewVerdictKind;
  comment: string;
}

let dir: string;
let folder: string;
let setup: ReviewWorkspace;
let imageIds: number[];

const verdictAt = (i: number): Expected => ({
  imageId: imageIds[i % imageIds.length]!,
  verdict: KINDS[i % KINDS.length]!,
  comment: `verdict ${i}`,
});

function send(client: LoupeApi, i: number): Promise<unknown> {
  return client.invoke('review.record', { runId: setup.runId, ...verdictAt(i) });
}

function readTrail(): { integrity: string; rows: Expected[] } {
  const db = new Database(path.join(folder, 'loupe.db'));
  try {
    const integrity = db.pragma('integrity_check', { simple: true }) as string;
    const rows = db
      .prepare('SELECT id, image_id AS imageId, verdict, comment FROM review_verdicts ORDER BY id')
      .all() as (Expected & { id: number })[];
    // Ids are consecutive from 1: no row was lost from the middle.
    rows.forEach((r, i) => expect(r.id).toBe(i + 1));
    return { integrity, rows: rows.map(({ imageId, verdict, comment }) => ({ imageId, verdict, comment })) };
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-review-crash-'));
  folder = path.join(dir, 'ws');
  const { services, log } = realServices();
  const call = caller(services, log);
  await call('workspace.open', { path: folder, create: true });
  setup = await reviewWorkspace(call, dir);
  imageIds = [...setup.scans.imageIds.values()].slice(0, 6);
  await services.dispose();
}, 600_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the review trail survives kill -9', () => {
  it(
    `keeps exactly the acknowledged verdicts (or one more), unchanged, over ${KILLS} kills`,
    { timeout: 900_000 },
    async () => {
      const random = seededRandom(977);
      let applied = 0;
      let inFlightCommitted = 0;
      for (let round = 0; round < KILLS; round++) {
        const app = await startApp(['--browser']);
        const url = new URL(app.launchUrl);
        const { client, socket } = await connectClient(`ws://${url.host}/rpc`, {
          cookie: `loupe_token=${url.searchParams.get('token')}`,
        });
        socket.on('error', () => {});
        await client.invoke('workspace.open', { path: folder });
        const exited = new Promise<void>((resolve) => app.process.once('exit', () => resolve()));
        let acked = applied;
        let killed = false;
        let timer: NodeJS.Timeout | undefined;
        try {
          for (let i = applied; !killed; i++) {
            await Promise.race([send(client, i), exited.then(() => Promise.reject(new Error('host killed')))]);
            if (killed) break;
            acked = i + 1;
            timer ??= setTimeout(
              () => {
                killed = true;
                app.process.kill('SIGKILL');
              },
              KILL_AFTER_MS[0] + random() * (KILL_AFTER_MS[1] - KILL_AFTER_MS[0]),
            );
          }
        } catch {
          // The socket died with the host: the verdict in flight may or may not have been committed.
        }
        clearTimeout(timer);
        await exited;
        socket.terminate();
        expect(killed, `round ${round} ended without a kill`).toBe(true);

        const disk = readTrail();
        expect(disk.integrity, `round ${round}`).toBe('ok');
        const want = (n: number) => Array.from({ length: n }, (_, i) => verdictAt(i));
        if (disk.rows.length === acked + 1) {
          expect(disk.rows, `round ${round}: the verdict in flight committed`).toEqual(want(acked + 1));
          inFlightCommitted++;
          applied = acked + 1;
        } else {
          expect(
            disk.rows,
            `round ${round}: the disk holds neither the ${acked} acknowledged verdicts nor one more`,
          ).toEqual(want(acked));
          applied = acked;
        }
      }
      expect(applied).toBeGreaterThan(KILLS);
      console.log(
        `review crash test: ${KILLS} kills, ${applied} verdicts persisted, ${inFlightCommitted} kills landed after a commit but before its reply`,
      );
    },
  );
});
