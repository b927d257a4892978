/**
 * The workspace the fuzz imports into: real services (the dispatcher, the import job, the decode
 * pool and its workers, SQLite), called by channel exactly as the CLI calls them.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { ImportReport } from '../../contract/index';
import { CallSession } from '../../main/services/dispatcher';
import { Services } from '../../main/services/index';
import { memoryLogger } from '../../main/services/logger';
import { LABEL_IMAGE_HEIGHT, LABEL_IMAGE_WIDTH, LABEL_IMAGES } from './corpus';

export type CallReply = { ok: true; value: unknown } | { ok: false; code: string; message: string };

export class FuzzWorkspace {
  readonly log = memoryLogger();
  readonly services = new Services({
    host: 'cli',
    version: 'fuzz',
    log: this.log,
    spawnEngine: () => {
      throw new Error('import does not use the engine');
    },
  });
  private readonly session = new CallSession(this.services.dispatcher);
  private next = 1;

  private constructor(readonly root: string) {}

  /** Opens a new workspace under `dir` and imports the images the label seeds name. */
  static async create(dir: string): Promise<FuzzWorkspace> {
    const ws = new FuzzWorkspace(path.join(dir, 'ws'));
    const opened = await ws.call('workspace.open', { path: ws.root, create: true });
    if (!opened.ok) throw new Error(opened.message);
    const folder = path.join(dir, 'label-images');
    mkdirSync(folder, { recursive: true });
    for (const [k, name] of LABEL_IMAGES.entries()) {
      const pixels = Buffer.alloc(LABEL_IMAGE_WIDTH * LABEL_IMAGE_HEIGHT, 40 + k * 60);
      const png = await sharp(pixels, { raw: { width: LABEL_IMAGE_WIDTH, height: LABEL_IMAGE_HEIGHT, channels: 1 } })
        .png()
        .toBuffer();
      writeFileSync(path.join(folder, name), png);
    }
    const report = await ws.importImages(folder);
    if (report.imported !== LABEL_IMAGES.length)
      throw new Error(`the label images did not import: ${JSON.stringify(report.files)}`);
    return ws;
  }

  async call(channel: string, payload: unknown): Promise<CallReply> {
    const reply = await this.session.invoke(channel, `fuzz-${this.next++}`, payload, () => {});
    return reply.ok
      ? { ok: true, value: reply.value }
      : { ok: false, code: reply.error.code, message: reply.error.message };
  }

  async importImages(folder: string): Promise<ImportReport> {
    const reply = await this.call('imaging.import', { paths: [folder] });
    if (!reply.ok) throw new Error(`imaging.import failed as a whole (${reply.code}): ${reply.message}`);
    return reply.value as ImportReport;
  }

  /** Rows and columns of the images with these ids, to check what imported against the pixel limit. */
  sizes(ids: readonly number[]): { id: number; rows: number; columns: number }[] {
    if (ids.length === 0) return [];
    const db = this.services.workspaces.require().db;
    return db
      .prepare(`SELECT id, rows, columns FROM images WHERE id IN (${ids.map(() => '?').join(',')})`)
      .all(...ids) as {
      id: number;
      rows: number;
      columns: number;
    }[];
  }

  imageCount(): number {
    return (this.services.workspaces.require().db.prepare('SELECT count(*) AS n FROM images').get() as { n: number }).n;
  }

  /**
   * The workspace's state as one hash: every row of every table (as labels-integrity.test.ts
   * compares them) and every file under masks/.
   */
  snapshot(): string {
    const db = this.services.workspaces.require().db;
    const hash = createHash('sha256');
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all() as string[];
    for (const table of tables)
      hash.update(table).update(JSON.stringify(db.prepare(`SELECT * FROM "${table}"`).raw().all()));
    const masks = path.join(this.root, 'masks');
    const files = existsSync(masks)
      ? readdirSync(masks, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
      : [];
    for (const full of files.map((e) => path.join(e.parentPath, e.name)).sort())
      hash.update(full).update(readFileSync(full));
    return hash.digest('hex');
  }

  close(): Promise<void> {
    return this.services.dispose();
  }
}
