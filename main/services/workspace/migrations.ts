import type Database from 'better-sqlite3';

export interface Migration {
  /** user_version after this migration; consecutive from 1. */
  version: number;
  name: string;
  up(db: Database.Database): void;
}

/**
 * Schema history of loupe.db, oldest first. Never edit a released migration: add one. Each runs in
 * its own transaction with the user_version bump, so a crash leaves the database at a version.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'workspace metadata',
    up(db) {
      db.exec(`
        CREATE TABLE meta (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) STRICT;
      `);
    },
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;
