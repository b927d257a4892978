import type { DomainHandlers } from '../services/dispatcher';
import type { EngineSupervisor } from './supervisor';

export function engineHandlers(engine: EngineSupervisor): DomainHandlers<'engine'> {
  return {
    'engine.info': () => engine.engineInfo(),
    'engine.status': () => engine.state,
    'engine.restart': () => engine.restart(),
    'engine.benchmark': (request, context) =>
      engine.call('benchmark', request, { signal: context.signal, onProgress: (p) => context.progress(p) }),
  };
}
