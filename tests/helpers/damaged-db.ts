/** Damaging a SQLite file the way a bad sector or a half-synced copy would: garbage over one page. */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';

/** Bytes of SQLite's file header at the start of page 1 (https://www.sqlite.org/fileformat.html). */
const FILE_HEADER_BYTES = 100;
/** Offset of the big-endian page size in that header. */
const PAGE_SIZE_OFFSET = 16;

/** Writes garbage over page `page` (numbered from 1; page 1 keeps its file header, so the file still opens). */
export function garblePage(file: string, page: number): void {
  const pageSize = readFileSync(file).readUInt16BE(PAGE_SIZE_OFFSET);
  const start = (page - 1) * pageSize + (page === 1 ? FILE_HEADER_BYTES : 0);
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(page * pageSize - start, 0xa5), 0, undefined, start);
  closeSync(fd);
}

/** The first page of a table's b-tree. */
export function rootPageOf(file: string, table: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT rootpage FROM sqlite_master WHERE name = ?').get(table) as { rootpage: number })
      .rootpage;
  } finally {
    db.close();
  }
}
