import { readFile } from 'node:fs/promises';
import { securityHeaders } from '../../security/csp';
import { contentTypeFor, resolveStaticPath } from '../shared/static-files';

/** Answers app:// requests with the built UI's files, each with the CSP header. */
export async function serveAppRequest(rendererRoot: string, requestUrl: string): Promise<Response> {
  const file = resolveStaticPath(rendererRoot, new URL(requestUrl).pathname);
  if (!file) return new Response('Not found', { status: 404 });
  try {
    const body = await readFile(file);
    return new Response(body, { headers: { 'Content-Type': contentTypeFor(file), ...securityHeaders() } });
  } catch {
    return new Response('Not found', { status: 404 });
  }
}
