import type { DomainHandlers } from '../dispatcher';
import type { ImagingService } from './imaging-service';

/** Removal has its own handler (remove-handlers.ts): it needs the workspace, not the image pipeline. */
export function imagingHandlers(imaging: ImagingService): Omit<DomainHandlers<'imaging'>, 'imaging.remove'> {
  return {
    'imaging.import': ({ paths }, context) => imaging.import(paths, context.signal, (p) => context.progress(p)),
    'imaging.upload': ({ name, bytes }) => imaging.upload(name, bytes),
    'imaging.list': ({ offset, limit }) => imaging.list(offset, limit),
    'imaging.get': ({ id }) => imaging.get(id),
    'imaging.frame': ({ id, frame }) => imaging.frame(id, frame),
    'imaging.thumbnails': async ({ ids }) => ({ thumbnails: await imaging.thumbnails(ids) }),
    'imaging.relink': ({ folder }, context) => imaging.relink(folder, context.signal, (p) => context.progress(p)),
    'imaging.browse': ({ path }) => imaging.browse(path),
  };
}
