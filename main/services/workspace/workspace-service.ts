import path from 'node:path';
import type { WorkspaceSummary } from '../../../contract/index';
import { LoupeError } from '../../../contract/index';
import type { EventBus } from '../event-bus';
import { userFacingSqliteError } from './sqlite-errors';
import { DB_FILE, Workspace } from './workspace';

/** The workspace the app has open: at most one at a time, shared by every window. */
export class WorkspaceService {
  private workspace: Workspace | null = null;

  constructor(
    private readonly bus: EventBus,
    private readonly appVersion: string,
  ) {}

  open(folder: string, create: boolean): WorkspaceSummary {
    let next: Workspace;
    try {
      next = Workspace.open(folder, { create, appVersion: this.appVersion });
    } catch (error) {
      // Here the database's full path is known; later failures name it as loupe.db (dispatcher).
      throw userFacingSqliteError(error, path.join(path.resolve(folder), DB_FILE)) ?? error;
    }
    this.workspace?.close();
    this.workspace = next;
    const summary = next.summary();
    this.bus.emit('workspace.changed', summary);
    return summary;
  }

  current(): WorkspaceSummary | null {
    return this.workspace?.summary() ?? null;
  }

  /** The open workspace, for services that need one. */
  require(): Workspace {
    if (!this.workspace) throw new LoupeError('NO_WORKSPACE', 'Open or create a workspace first.');
    return this.workspace;
  }

  close(): boolean {
    if (!this.workspace) return false;
    this.workspace.close();
    this.workspace = null;
    this.bus.emit('workspace.changed', null);
    return true;
  }
}
