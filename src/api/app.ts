import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { randomUUID } from 'node:crypto';
import { StandinError } from '../core/errors.js';
import type { Services } from '../services/index.js';
import type { Logger } from '../log/logger.js';
import type { ApiEnv } from './env.js';
import { handleError, validationHook } from './errors.js';
import { authenticate } from './auth.js';
import { rateLimit, type RateLimits } from './rate-limit.js';
import { secretRoutes } from './routes/secrets.js';
import { keyRoutes } from './routes/keys.js';
import { auditRoutes } from './routes/audit.js';
import { tenancyRoutes } from './routes/tenancy.js';
import { sessionRoutes } from './routes/sessions.js';
import { sandboxRoutes } from './routes/sandboxes.js';
import { providerRoutes } from './routes/providers.js';

export interface ApiDeps {
  services: Services;
  log: Logger;
  limits: RateLimits;
  /** Readiness beyond "the process runs": the database answers. */
  ready: () => Promise<boolean>;
  version?: string;
}

/** 64 KiB values plus JSON framing and metadata. */
const MAX_BODY_BYTES = 256 * 1024;
const REQUEST_ID_RE = /^[A-Za-z0-9._-]{8,128}$/;

/** Builds the REST API. It never listens itself: main.ts serves it, tests call `app.request()`. */
export function buildApi(deps: ApiDeps): OpenAPIHono<ApiEnv> {
  const { services: svc, log } = deps;
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook as never });

  app.use('*', async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
    c.set('requestId', requestId);
    const started = performance.now();
    await next();
    c.header('X-Request-Id', requestId);
    if (c.req.path.startsWith('/v1/')) {
      c.header('Cache-Control', 'no-store');
      c.header('X-Content-Type-Options', 'nosniff');
      let actorKey: string | null = null;
      try {
        actorKey = c.get('actor')?.apiKeyId ?? null;
      } catch {
        actorKey = null;
      }
      try {
        log.info({ requestId, method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started), apiKeyId: actorKey }, 'api request');
      } catch {
        // The response is decided (and any mutation committed): a failing log write must not
        // replace it with an error that makes the client retry a write that succeeded.
      }
    }
  });
  app.onError(handleError(log));
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` } }, 404));

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => ((await deps.ready().catch(() => false)) ? c.json({ ok: true }) : c.json({ ok: false }, 503)));

  app.doc31('/v1/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'standin API', version: deps.version ?? '0.1.0', description: 'Secrets broker for sandboxes. Values are write-only: no response carries one.' },
    security: [{ Bearer: [] }],
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'Bearer', { type: 'http', scheme: 'bearer', description: 'An API key: stn_live_…, stn_test_… or stn_u_…' });

  app.use(
    '/v1/*',
    bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => { throw new StandinError('payload_too_large', `the request body is over ${MAX_BODY_BYTES} bytes`); } }),
  );
  const auth = authenticate(svc.keys);
  const limit = rateLimit(svc.deps.store.rateLimits, deps.limits);
  app.use('/v1/*', async (c, next) => {
    if (c.req.path === '/v1/openapi.json') return next();
    await auth(c, async () => {
      await limit(c, next);
    });
  });

  secretRoutes(app, svc);
  keyRoutes(app, svc);
  auditRoutes(app, svc);
  tenancyRoutes(app, svc);
  sessionRoutes(app, svc);
  sandboxRoutes(app, svc);
  providerRoutes(app);
  return app;
}
