import type { DomainHandlers } from '../dispatcher';
import type { WorkspaceService } from '../workspace/workspace-service';
import { removeImages } from './remove-images';

export function imageRemovalHandlers(workspaces: WorkspaceService): Pick<DomainHandlers<'imaging'>, 'imaging.remove'> {
  return { 'imaging.remove': (request) => removeImages(workspaces.require(), request) };
}
