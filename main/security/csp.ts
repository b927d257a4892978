/**
 * The Content-Security-Policy sent with every page of the UI, in Electron (app://) and in browser
 * mode. No 'unsafe-eval' and no inline script: an injected string can never become code. Vue
 * templates are compiled at build time, so the runtime needs neither.
 */
export interface CspOptions {
  /** Extra origins the page may connect to (the browser mode's WebSocket). */
  connect?: readonly string[];
}

export function contentSecurityPolicy(options: CspOptions = {}): string {
  const directives: Record<string, string[]> = {
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    // Styles come from built CSS files; Vue's :style bindings go through the CSSOM, which CSP allows.
    'style-src': ["'self'"],
    // Thumbnails and rendered canvases are handed to <img> as blob: or data: URLs.
    'img-src': ["'self'", 'data:', 'blob:'],
    'font-src': ["'self'"],
    'connect-src': ["'self'", ...(options.connect ?? [])],
    'worker-src': ["'self'", 'blob:'],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
    'frame-ancestors': ["'none'"],
    'frame-src': ["'none'"],
  };
  return Object.entries(directives)
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join('; ');
}

/** Headers every UI response carries, with the CSP. */
export function securityHeaders(options: CspOptions = {}): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(options),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}
