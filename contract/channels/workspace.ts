import { z } from 'zod';
import { absolutePathSchema, emptyRequestSchema } from '../common';
import { defineChannel, defineEvent } from '../define';

export const workspaceSummarySchema = z.object({
  path: z.string(),
  name: z.string(),
  schemaVersion: z.number().int(),
  createdAt: z.string(),
});
export type WorkspaceSummary = z.infer<typeof workspaceSummarySchema>;

export const workspaceOpen = defineChannel({
  name: 'workspace.open',
  summary: 'Open a workspace folder; with create, make one there if the folder is missing or empty.',
  request: z.object({ path: absolutePathSchema, create: z.boolean().default(false) }).strict(),
  reply: workspaceSummarySchema,
});

export const workspaceCurrent = defineChannel({
  name: 'workspace.current',
  summary: 'The open workspace, or null.',
  request: emptyRequestSchema,
  reply: workspaceSummarySchema.nullable(),
});

export const workspaceClose = defineChannel({
  name: 'workspace.close',
  summary: 'Close the open workspace (flushing the database).',
  request: emptyRequestSchema,
  reply: z.object({ closed: z.boolean() }),
});

export const workspaceRecent = defineChannel({
  name: 'workspace.recent',
  summary: 'The workspaces opened lately in the app, most recent first (empty where the host keeps no list).',
  request: emptyRequestSchema,
  reply: z.object({
    workspaces: z.array(
      z.object({
        path: z.string(),
        openedAt: z.string(),
        /** The folder still holds a workspace. */
        exists: z.boolean(),
      }),
    ),
  }),
});

export const workspaceChangedEvent = defineEvent({
  name: 'workspace.changed',
  summary: 'A workspace was opened or closed (by this window, another window, or the CLI host).',
  payload: workspaceSummarySchema.nullable(),
});
