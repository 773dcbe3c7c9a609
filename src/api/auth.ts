import type { MiddlewareHandler } from 'hono';
import type { KeysService } from '../services/keys.js';
import type { ApiEnv } from './env.js';

/** Resolves `Authorization: Bearer <key>` to an actor on every request; nothing is cached, so a revocation applies at once. */
export function authenticate(keys: KeysService): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    c.set('actor', await keys.authenticate(m?.[1] ?? null, c.get('requestId')));
    await next();
  };
}
