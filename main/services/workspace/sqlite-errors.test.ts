import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { openImage } from '../../../ml/decode/index';
import { garblePage, rootPageOf } from '../../../tests/helpers/damaged-db';
import { EventBus } from '../event-bus';
import { ImageStore } from '../imaging/image-store';
import { userFacingSqliteError } from './sqlite-errors';
import { DB_FILE, Workspace } from './workspace';
import { WorkspaceService } from './workspace-service';

/** Images in the damaged workspace: enough rows for the table to span several pages. */
const IMAGES = 300;
/** The recovery the message must spell out. */
const RECOVERY = /is damaged .*sqlite3 loupe\.db "\.recover" \| sqlite3 recovered\.db .*last backup/;

describe('userFacingSqliteError', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('says the database is locked when another connection holds the write lock, and leaves other errors to INTERNAL', () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-sqlite-errors-'));
    const file = path.join(dir, 'loupe.db');
    const ours = new Database(file);
    ours.pragma('journal_mode = WAL');
    ours.pragma('busy_timeout = 0');
    ours.exec('CREATE TABLE t (x INTEGER)');
    const other = new Database(file);
    other.exec('BEGIN EXCLUSIVE');
    let thrown: unknown;
    try {
      ours.prepare('INSERT INTO t VALUES (1)').run();
    } catch (error) {
      thrown = error;
    }
    other.exec('ROLLBACK');
    expect(userFacingSqliteError(thrown)).toMatchObject({
      code: 'IO_ERROR',
      message: expect.stringMatching(/locked by another program/),
    });
    let syntax: unknown;
    try {
      ours.exec('SELEC 1');
    } catch (error) {
      syntax = error;
    }
    expect(syntax).toBeInstanceOf(Error);
    expect(userFacingSqliteError(syntax)).toBeNull();
    expect(userFacingSqliteError(new TypeError('x'))).toBeNull();
    ours.close();
    other.close();
  });
});

describe('a damaged workspace database', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A workspace with enough images that their table spans pages, closed; returns loupe.db's path. */
  async function workspaceWithImages(): Promise<string> {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-corrupt-'));
    const workspace = Workspace.open(path.join(dir, 'ws'), { create: true });
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const { info } = await openImage(png);
    const images = Array.from({ length: IMAGES }, (_, i) => ({
      sha256: i.toString(16).padStart(64, '0'),
      path: `/scans/${i}.png`,
      fileName: `${i}.png`,
      fileSize: 1,
      info,
    }));
    new ImageStore(workspace.db).insertMany(images, new Date(0).toISOString());
    workspace.close();
    return path.join(dir, 'ws', DB_FILE);
  }

  it('says which file is damaged and how to recover it when a table page is garbage', async () => {
    const file = await workspaceWithImages();
    garblePage(file, rootPageOf(file, 'images'));
    const workspace = Workspace.open(path.dirname(file));
    let thrown: unknown;
    try {
      new ImageStore(workspace.db).list(0, IMAGES);
    } catch (error) {
      thrown = error;
    }
    workspace.close();
    expect(thrown).toMatchObject({ code: expect.stringMatching(/^SQLITE_CORRUPT/) });
    expect(userFacingSqliteError(thrown)).toMatchObject({ code: 'IO_ERROR', message: expect.stringMatching(RECOVERY) });
  });

  it('names the full path when opening the workspace meets the damage', async () => {
    const file = await workspaceWithImages();
    garblePage(file, 1);
    const service = new WorkspaceService(new EventBus(), 'test');
    let thrown: unknown;
    try {
      service.open(path.dirname(file), false);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({
      code: 'IO_ERROR',
      message: expect.stringContaining(`The workspace database ${file} is damaged`),
    });
    expect((thrown as Error).message).toMatch(RECOVERY);
  });
});
