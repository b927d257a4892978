import os from 'node:os';
import type { HOST_KINDS } from '../../contract/index';
import { isSafeExternalUrl } from '../security/url-policy';
import type { DomainHandlers } from './dispatcher';

export interface AppHandlerOptions {
  host: (typeof HOST_KINDS)[number];
  version: string;
  openExternal?: (url: string) => Promise<void>;
}

export function appHandlers(options: AppHandlerOptions): DomainHandlers<'app'> {
  return {
    'app.info': () => ({
      name: 'Loupe',
      version: options.version,
      host: options.host,
      platform: `${os.platform()}-${os.arch()}`,
    }),
    'app.openExternal': async ({ url }) => {
      if (!options.openExternal || !isSafeExternalUrl(url)) return { opened: false };
      await options.openExternal(url);
      return { opened: true };
    },
  };
}
