import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from './migrations';
import { APPLICATION_ID, DB_FILE, Workspace } from './workspace';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-ws-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('Workspace', () => {
  it('creates a workspace in a missing folder, with WAL and synchronous=FULL', () => {
    const ws = Workspace.open(path.join(dir, 'new'), { create: true, appVersion: '9.9.9' });
    try {
      expect(ws.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(ws.db.pragma('synchronous', { simple: true })).toBe(2);
      expect(ws.db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
      expect(ws.schemaVersion).toBe(MIGRATIONS.at(-1)!.version);
      expect(ws.summary()).toMatchObject({ name: 'new', path: path.join(dir, 'new') });
      expect(ws.db.prepare("SELECT value FROM meta WHERE key = 'created_by'").get()).toEqual({ value: 'Loupe 9.9.9' });
    } finally {
      ws.close();
    }
  });

  it('reopens an existing workspace without touching its data', () => {
    const first = Workspace.open(dir, { create: true });
    const created = first.summary().createdAt;
    first.db.prepare("INSERT INTO meta (key, value) VALUES ('note', 'keep me')").run();
    first.close();
    const again = Workspace.open(dir);
    try {
      expect(again.summary().createdAt).toBe(created);
      expect(again.db.prepare("SELECT value FROM meta WHERE key = 'note'").get()).toEqual({ value: 'keep me' });
    } finally {
      again.close();
    }
  });

  it('refuses a missing folder unless asked to create', () => {
    expect(() => Workspace.open(path.join(dir, 'absent'))).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('refuses a folder of other files, even with create', () => {
    writeFileSync(path.join(dir, 'scan.dcm'), 'x');
    for (const create of [false, true]) {
      expect(() => Workspace.open(dir, { create })).toThrow(expect.objectContaining({ code: 'NOT_A_WORKSPACE' }));
    }
  });

  it('refuses a file given as the folder', () => {
    const file = path.join(dir, 'file.txt');
    writeFileSync(file, 'x');
    expect(() => Workspace.open(file, { create: true })).toThrow(expect.objectContaining({ code: 'NOT_A_WORKSPACE' }));
  });

  it('refuses a loupe.db that some other program made, and leaves it alone', () => {
    const foreign = new Database(path.join(dir, DB_FILE));
    foreign.exec('CREATE TABLE theirs (x INTEGER)');
    foreign.close();
    expect(() => Workspace.open(dir)).toThrow(expect.objectContaining({ code: 'NOT_A_WORKSPACE' }));
    const check = new Database(path.join(dir, DB_FILE));
    expect(check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([{ name: 'theirs' }]);
    check.close();
  });

  it('refuses a loupe.db that is not SQLite at all', () => {
    writeFileSync(path.join(dir, DB_FILE), 'definitely not sqlite, just some bytes that are long enough to matter');
    expect(() => Workspace.open(dir)).toThrow(expect.objectContaining({ code: 'NOT_A_WORKSPACE' }));
  });

  it('refuses a workspace from a newer Loupe instead of resetting it', () => {
    Workspace.open(dir, { create: true }).close();
    const db = new Database(path.join(dir, DB_FILE));
    db.pragma('user_version = 999');
    db.close();
    expect(() => Workspace.open(dir)).toThrow(expect.objectContaining({ code: 'WORKSPACE_TOO_NEW' }));
    const check = new Database(path.join(dir, DB_FILE));
    expect(check.pragma('user_version', { simple: true })).toBe(999);
    check.close();
  });

  it('runs pending migrations in order on open, each with its version', () => {
    Workspace.open(dir, { create: true }).close();
    const applied: number[] = [];
    const extended = [
      ...MIGRATIONS,
      {
        version: MIGRATIONS.length + 1,
        name: 'a',
        up: (db: Database.Database) => (applied.push(1), db.exec('CREATE TABLE a (x INTEGER) STRICT')),
      },
      {
        version: MIGRATIONS.length + 2,
        name: 'b',
        up: (db: Database.Database) => (applied.push(2), db.exec('CREATE TABLE b (x INTEGER) STRICT')),
      },
    ];
    const ws = Workspace.open(dir, { migrations: extended });
    expect(applied).toEqual([1, 2]);
    expect(ws.schemaVersion).toBe(MIGRATIONS.length + 2);
    ws.close();
    Workspace.open(dir, { migrations: extended }).close();
    expect(applied).toEqual([1, 2]);
  });

  it('rolls a failed migration back and keeps the previous version', () => {
    Workspace.open(dir, { create: true }).close();
    const broken = [
      ...MIGRATIONS,
      {
        version: MIGRATIONS.length + 1,
        name: 'broken',
        up: (db: Database.Database) => {
          db.exec('CREATE TABLE half (x INTEGER)');
          throw new Error('disk on fire');
        },
      },
    ];
    expect(() => Workspace.open(dir, { migrations: broken })).toThrow(/disk on fire/);
    const ws = Workspace.open(dir);
    expect(ws.schemaVersion).toBe(MIGRATIONS.length);
    expect(ws.db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
    ws.close();
  });

  it('creates a workspace in an existing empty folder only when asked', () => {
    const empty = path.join(dir, 'empty');
    mkdirSync(empty);
    expect(() => Workspace.open(empty)).toThrow(expect.objectContaining({ code: 'NOT_A_WORKSPACE' }));
    Workspace.open(empty, { create: true }).close();
  });
});
