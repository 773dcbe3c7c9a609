import type { MiddlewareHandler } from 'hono';
import { StandinError } from '../core/errors.js';
import type { RateLimitsRepo } from '../store/repos/rate-limits.js';
import type { ApiEnv } from './env.js';

export interface RateLimits {
  perKey: number;
  perTenant: number;
  writesPerKey: number;
}

const WINDOW_SECONDS = 60;

/**
 * Fixed one-minute windows per key, per tenant and, for writes, per key and endpoint group.
 * Counters live in the store, so several instances share them. The headers describe the bucket
 * closest to its limit.
 */
export function rateLimit(repo: RateLimitsRepo, limits: RateLimits): MiddlewareHandler<ApiEnv> {
  let lastPrune = 0;
  return async (c, next) => {
    const actor = c.get('actor');
    const now = Math.floor(Date.now() / 1000);
    const window = now - (now % WINDOW_SECONDS);
    const reset = window + WINDOW_SECONDS;
    const write = c.req.method !== 'GET' && c.req.method !== 'HEAD';
    const group = c.req.path.split('/')[2] ?? 'root';
    const buckets: Array<[string, number]> = [
      [`key:${actor.apiKeyId}`, limits.perKey],
      [`tenant:${actor.tenantId}`, limits.perTenant],
    ];
    if (write) buckets.push([`key:${actor.apiKeyId}:write:${group}`, limits.writesPerKey]);
    let tightest = { limit: limits.perKey, remaining: limits.perKey };
    let exceeded = false;
    const counts = await repo.hitMany(buckets.map(([b]) => b), window);
    for (const [bucket, limit] of buckets) {
      const count = counts.get(bucket) ?? 1;
      const remaining = Math.max(0, limit - count);
      if (remaining < tightest.remaining || (remaining === tightest.remaining && limit < tightest.limit)) tightest = { limit, remaining };
      if (count > limit) exceeded = true;
    }
    c.header('X-RateLimit-Limit', String(tightest.limit));
    c.header('X-RateLimit-Remaining', String(tightest.remaining));
    c.header('X-RateLimit-Reset', String(reset));
    if (now - lastPrune > WINDOW_SECONDS * 5) {
      lastPrune = now;
      void repo.prune(window - WINDOW_SECONDS * 2).catch(() => {});
    }
    if (exceeded) {
      const retryAfter = Math.max(1, reset - now);
      throw new StandinError('rate_limited', `rate limit exceeded; retry in ${retryAfter} s`, { retryAfter, limit: tightest.limit });
    }
    await next();
  };
}
