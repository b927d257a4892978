/**
 * A workspace is a folder: loupe.db (SQLite, WAL, synchronous=FULL) plus files the app writes
 * (masks, thumbnails, runs). Opening never resets anything: a folder that is not a workspace,
 * or one written by a newer Loupe, is refused with a message saying so.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LoupeError, type WorkspaceSummary } from '../../../contract/index';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations';

export const DB_FILE = 'loupe.db';
/** SQLite `application_id` stamped into every loupe.db ("LOUP"), so we never adopt a stranger's database. */
export const APPLICATION_ID = 0x4c4f5550;
/** How long a writer waits for another process (the CLI beside the app) to finish its transaction. */
const BUSY_TIMEOUT_MS = 5_000;

export interface OpenOptions {
  /** Make a new workspace when the folder is missing or empty. */
  create?: boolean;
  /** Written into a new workspace's metadata. */
  appVersion?: string;
  /** Tests pass a longer list to exercise upgrades. */
  migrations?: readonly Migration[];
}

export class Workspace {
  private constructor(
    readonly root: string,
    readonly db: Database.Database,
  ) {}

  static open(folder: string, options: OpenOptions = {}): Workspace {
    const root = path.resolve(folder);
    const migrations = options.migrations ?? MIGRATIONS;
    const latest = migrations.at(-1)?.version ?? LATEST_SCHEMA_VERSION;
    const dbPath = path.join(root, DB_FILE);
    const isNew = prepareFolder(root, dbPath, options.create ?? false);
    let db: Database.Database;
    try {
      db = new Database(dbPath, { fileMustExist: !isNew });
    } catch (error) {
      throw new LoupeError('IO_ERROR', `Could not open ${dbPath}: ${(error as Error).message}`, { cause: error });
    }
    try {
      if (isNew) db.pragma(`application_id = ${APPLICATION_ID}`);
      // Identity first: nothing (not even switching to WAL) is written into a stranger's file.
      checkIdentity(db, dbPath, latest);
      configure(db);
      migrate(db, migrations);
      if (isNew) {
        const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
        insert.run('created_at', new Date().toISOString());
        insert.run('created_by', `Loupe ${options.appVersion ?? 'unknown'}`);
      }
    } catch (error) {
      db.close();
      throw error;
    }
    return new Workspace(root, db);
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  summary(): WorkspaceSummary {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'created_at'").get() as
      | { value: string }
      | undefined;
    return {
      path: this.root,
      name: path.basename(this.root),
      schemaVersion: this.schemaVersion,
      createdAt: row?.value ?? '',
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** Returns true when a new database must be created. */
function prepareFolder(root: string, dbPath: string, create: boolean): boolean {
  if (!existsSync(root)) {
    if (!create) throw new LoupeError('NOT_FOUND', `There is no folder at ${root}.`);
    try {
      mkdirSync(root, { recursive: true });
    } catch (error) {
      throw new LoupeError('IO_ERROR', `Could not create ${root}: ${(error as Error).message}`, { cause: error });
    }
    return true;
  }
  if (!statSync(root).isDirectory())
    throw new LoupeError('NOT_A_WORKSPACE', `${root} is a file, not a workspace folder.`);
  if (existsSync(dbPath)) return false;
  const entries = readdirSync(root);
  if (entries.length > 0) {
    throw new LoupeError(
      'NOT_A_WORKSPACE',
      create
        ? `${root} already holds other files and is not a Loupe workspace. Choose an empty folder or a new name.`
        : `${root} is not a Loupe workspace (it has no ${DB_FILE}).`,
    );
  }
  if (!create)
    throw new LoupeError(
      'NOT_A_WORKSPACE',
      `${root} is an empty folder, not a workspace yet. Create a workspace there instead.`,
    );
  return true;
}

function configure(db: Database.Database): void {
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  // FULL: a committed label or verdict survives power loss, not just an app crash.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
}

function checkIdentity(db: Database.Database, dbPath: string, latest: number): void {
  let applicationId: number;
  try {
    applicationId = db.pragma('application_id', { simple: true }) as number;
  } catch (error) {
    throw new LoupeError('NOT_A_WORKSPACE', `${dbPath} is not a database Loupe can read.`, { cause: error });
  }
  if (applicationId !== APPLICATION_ID) {
    throw new LoupeError('NOT_A_WORKSPACE', `${dbPath} was not made by Loupe; Loupe will not touch it.`);
  }
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > latest) {
    throw new LoupeError(
      'WORKSPACE_TOO_NEW',
      `This workspace was saved by a newer Loupe (schema ${version}; this Loupe knows up to ${latest}). Update Loupe to open it.`,
    );
  }
}

function migrate(db: Database.Database, migrations: readonly Migration[]): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}
