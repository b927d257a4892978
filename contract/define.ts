import { type z } from 'zod';

/**
 * A channel is one request/reply call from the UI (or CLI) to the services. Long calls may
 * stream progress events tied to their request id, and may be cancelled.
 */
export interface ChannelDef<
  Name extends string = string,
  Req extends z.ZodType = z.ZodType,
  Rep extends z.ZodType = z.ZodType,
  Prog extends z.ZodType | undefined = z.ZodType | undefined,
> {
  readonly name: Name;
  /** One line for humans: what the call does. */
  readonly summary: string;
  readonly request: Req;
  readonly reply: Rep;
  /** Schema of the progress events this call streams, if it streams any. */
  readonly progress: Prog;
}

/** An event is pushed by the services to every connected UI, unasked (e.g. engine state). */
export interface EventDef<Name extends string = string, Payload extends z.ZodType = z.ZodType> {
  readonly name: Name;
  readonly summary: string;
  readonly payload: Payload;
}

export function defineChannel<
  Name extends string,
  Req extends z.ZodType,
  Rep extends z.ZodType,
  Prog extends z.ZodType | undefined = undefined,
>(def: { name: Name; summary: string; request: Req; reply: Rep; progress?: Prog }): ChannelDef<Name, Req, Rep, Prog> {
  return { ...def, progress: def.progress as Prog };
}

export function defineEvent<Name extends string, Payload extends z.ZodType>(def: {
  name: Name;
  summary: string;
  payload: Payload;
}): EventDef<Name, Payload> {
  return def;
}

/** Builds a name-keyed record from a list of definitions, refusing duplicates at start-up. */
export function registry<T extends { name: string }>(
  defs: readonly T[],
): { [K in T['name']]: Extract<T, { name: K }> } {
  const out: Record<string, T> = {};
  for (const def of defs) {
    if (out[def.name]) throw new Error(`Contract declares "${def.name}" twice.`);
    out[def.name] = def;
  }
  return out as { [K in T['name']]: Extract<T, { name: K }> };
}
