import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { userFacingSqliteError } from './sqlite-errors';

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
    expect(userFacingSqliteError(thrown)).toMatchObject({ code: 'IO_ERROR', message: expect.stringMatching(/locked by another program/) });
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
