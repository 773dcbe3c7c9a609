import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The hidden form field every dashboard form carries. */
export const CSRF_FIELD = '_csrf';
/** Double-submit cookie for the sign-in form, which has no session yet (login CSRF). */
export const SIGNIN_COOKIE = 'standin_signin';

export const newToken = (): string => randomBytes(32).toString('base64url');

/** Constant-time comparison that does not leak the length either (both sides are hashed). */
export function tokensEqual(given: string, expected: string): boolean {
  if (!given || !expected) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * A browser tells us where a request came from (Fetch Metadata). A cross-site POST is refused
 * even before the token check; older browsers without the header still need the token.
 */
export function crossSite(secFetchSite: string | undefined): boolean {
  return secFetchSite === 'cross-site';
}
