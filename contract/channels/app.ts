import { z } from 'zod';
import { emptyRequestSchema } from '../common';
import { defineChannel } from '../define';

export const HOST_KINDS = ['electron', 'browser', 'cli'] as const;

export const appInfoSchema = z.object({
  name: z.literal('Loupe'),
  version: z.string(),
  host: z.enum(HOST_KINDS),
  platform: z.string(),
});
export type AppInfo = z.infer<typeof appInfoSchema>;

export const appInfo = defineChannel({
  name: 'app.info',
  summary: 'Which Loupe is answering: version, host kind (Electron window, browser mode, CLI) and platform.',
  request: emptyRequestSchema,
  reply: appInfoSchema,
});

export const appOpenExternal = defineChannel({
  name: 'app.openExternal',
  summary: 'Open an http(s) link in the system browser (documentation, licences). Other schemes are refused.',
  request: z.object({ url: z.string().max(2048) }).strict(),
  reply: z.object({ opened: z.boolean() }),
});
