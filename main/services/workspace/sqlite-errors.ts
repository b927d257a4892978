/**
 * SQLite failures a user can meet and do something about, as LoupeErrors with a message that
 * says what; any other SQLite error stays a bug (INTERNAL). better-sqlite3 throws a SqliteError
 * whose `code` is SQLite's result code name, extended codes included (SQLITE_BUSY_SNAPSHOT…):
 * https://www.sqlite.org/rescode.html
 */
import { LoupeError } from '../../../contract/index';
import { DB_FILE } from './workspace';

const USER_FACING: readonly { prefix: string; message: string }[] = [
  // Another connection holds the write lock longer than our busy timeout (a database browser, a backup, a second Loupe).
  { prefix: 'SQLITE_BUSY', message: `The workspace database (${DB_FILE}) is locked by another program; wait for it to finish or close it, then try again.` },
  { prefix: 'SQLITE_LOCKED', message: `The workspace database (${DB_FILE}) is locked by another program; wait for it to finish or close it, then try again.` },
  { prefix: 'SQLITE_READONLY', message: `The workspace database (${DB_FILE}) cannot be written; check the permissions of the workspace folder and its files, then try again.` },
  { prefix: 'SQLITE_FULL', message: 'The disk holding the workspace is full; free some space, then try again.' },
];

/** The LoupeError for a SQLite failure a user can act on, or null for anything else. */
export function userFacingSqliteError(error: unknown): LoupeError | null {
  if (!(error instanceof Error) || error.name !== 'SqliteError') return null;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code !== 'string') return null;
  const match = USER_FACING.find((entry) => code === entry.prefix || code.startsWith(`${entry.prefix}_`));
  return match ? new LoupeError('IO_ERROR', match.message, { cause: error }) : null;
}
