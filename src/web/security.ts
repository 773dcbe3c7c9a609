import type { Context } from 'hono';

/**
 * Scripts and styles only from this origin (no inline code, no nonces), no plugins, no framing,
 * forms post only here. `img-src data:` is for the empty favicon.
 */
export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'";

/** Sets the response headers every dashboard response carries. */
export function setSecurityHeaders(c: Context, opts: { cacheable: boolean }): void {
  c.header('Content-Security-Policy', CSP);
  c.header('X-Frame-Options', 'DENY');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Cross-Origin-Opener-Policy', 'same-origin');
  c.header('Cross-Origin-Resource-Policy', 'same-origin');
  c.header('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()');
  // Pages show keys and proxy URLs once; nothing of them may linger in a cache or the back button.
  if (!opts.cacheable) c.header('Cache-Control', 'no-store');
}

/** True when the browser reached us over HTTPS (directly, or through a TLS-terminating proxy). */
export function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
}
