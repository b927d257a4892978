import type Database from 'better-sqlite3';
import { metaMigration } from './migrations/001-meta';
import { imagesMigration } from './migrations/002-images';
import { labelsMigration } from './migrations/003-labels';
import { runsMigration } from './migrations/004-runs';
import { reviewsMigration } from './migrations/005-reviews';
import { taskFramesMigration } from './migrations/006-task-frames';
import { taskImagesMigration } from './migrations/007-task-images';
import { reviewMasksMigration } from './migrations/008-review-masks';
import { maskFramesMigration } from './migrations/009-mask-frames';
import { reviewBoxPairMigration } from './migrations/010-review-box-pair';

export interface Migration {
  /** user_version after this migration; consecutive from 1. */
  version: number;
  name: string;
  up(db: Database.Database): void;
}

/**
 * Schema history of loupe.db, oldest first, one file per migration in migrations/. Never edit a
 * released migration: add one. Each runs in its own transaction with the user_version bump, so a
 * crash leaves the database at a version.
 */
export const MIGRATIONS: readonly Migration[] = [
  metaMigration,
  imagesMigration,
  labelsMigration,
  runsMigration,
  reviewsMigration,
  taskFramesMigration,
  taskImagesMigration,
  reviewMasksMigration,
  maskFramesMigration,
  reviewBoxPairMigration,
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;
