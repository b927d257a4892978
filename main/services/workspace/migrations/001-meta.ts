import type { Migration } from '../migrations';

export const metaMigration: Migration = {
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
};
