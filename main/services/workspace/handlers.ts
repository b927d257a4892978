import type { DomainHandlers } from '../dispatcher';
import type { RecentWorkspaces } from './recent';
import type { WorkspaceService } from './workspace-service';

export function workspaceHandlers(
  workspaces: WorkspaceService,
  recent: RecentWorkspaces,
): Omit<DomainHandlers<'workspace'>, 'workspace.addDemoData'> {
  return {
    'workspace.open': ({ path, create }) => workspaces.open(path, create),
    'workspace.current': () => workspaces.current(),
    'workspace.close': () => ({ closed: workspaces.close() }),
    'workspace.recent': () => ({ workspaces: recent.list() }),
  };
}
