import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { listProviders } from '../../core/providers.js';
import type { ApiEnv } from '../env.js';
import { errorResponses, json } from '../schemas.js';

export function providerRoutes(app: OpenAPIHono<ApiEnv>): void {
  app.openapi(
    createRoute({
      method: 'get', path: '/v1/providers', tags: ['providers'], summary: 'The provider catalog',
      responses: { 200: json(z.object({ data: z.array(z.any()), nextCursor: z.null() }), 'Providers'), ...errorResponses },
    }),
    (c) => c.json({ data: [...listProviders()], nextCursor: null }, 200),
  );
}
