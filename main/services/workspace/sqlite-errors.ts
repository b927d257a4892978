/**
 * SQLite failures a user can meet and do something about, as LoupeErrors with a message that
 * says what; any other SQLite error stays a bug (INTERNAL). better-sqlite3 throws a SqliteError
 * whose `code` is SQLite's result code name, extended codes included (SQLITE_BUSY_SNAPSHOT…):
 * https://www.sqlite.org/rescode.html
 */
import { LoupeError } from '../../../contract/index';
import { DB_FILE } from './workspace';

/**
 * What to do about a damaged database: SQLite's `.recover` (sqlite3 3.29+) copies every row it can
 * still read into a new file; otherwise the user's last backup of the workspace folder.
 */
function damagedMessage(file: string): string {
  return (
    `The workspace database ${file} is damaged (SQLite finds it malformed), so Loupe cannot use it. ` +
    `Close Loupe, keep a copy of the file, then recover what SQLite can still read: sqlite3 ${DB_FILE} ".recover" | sqlite3 recovered.db ` +
    `(in the workspace folder), and replace ${DB_FILE} with recovered.db; or put back ${DB_FILE} from your last backup of the workspace.`
  );
}

const USER_FACING: readonly { prefix: string; message: (file: string) => string }[] = [
  // Another connection holds the write lock longer than our busy timeout (a database browser, a backup, a second Loupe).
  {
    prefix: 'SQLITE_BUSY',
    message: (file) =>
      `The workspace database (${file}) is locked by another program; wait for it to finish or close it, then try again.`,
  },
  {
    prefix: 'SQLITE_LOCKED',
    message: (file) =>
      `The workspace database (${file}) is locked by another program; wait for it to finish or close it, then try again.`,
  },
  {
    prefix: 'SQLITE_READONLY',
    message: (file) =>
      `The workspace database (${file}) cannot be written; check the permissions of the workspace folder and its files, then try again.`,
  },
  { prefix: 'SQLITE_FULL', message: () => 'The disk holding the workspace is full; free some space, then try again.' },
  // A page overwritten or cut short (a crash on a disk that ignores fsync, a sync tool, a bad sector).
  { prefix: 'SQLITE_CORRUPT', message: damagedMessage },
  // The file no longer starts like a database at all (its first page was overwritten).
  { prefix: 'SQLITE_NOTADB', message: damagedMessage },
];

/**
 * The LoupeError for a SQLite failure a user can act on, or null for anything else. `file` names
 * the database where the caller knows its path; otherwise the message says loupe.db.
 */
export function userFacingSqliteError(error: unknown, file: string = DB_FILE): LoupeError | null {
  if (!(error instanceof Error) || error.name !== 'SqliteError') return null;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code !== 'string') return null;
  const match = USER_FACING.find((entry) => code === entry.prefix || code.startsWith(`${entry.prefix}_`));
  return match ? new LoupeError('IO_ERROR', match.message(file), { cause: error }) : null;
}
