import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Services } from '../../services/index.js';
import type { ApiKey } from '../../core/types.js';
import type { ApiEnv } from '../env.js';
import { ApiKeySchema, CreateApiKeySchema, errorResponses, json, listOf } from '../schemas.js';

const tags = ['api-keys'];
const keyView = ({ tenantId: _t, ...k }: ApiKey) => k;

export function keyRoutes(app: OpenAPIHono<ApiEnv>, svc: Services): void {
  app.openapi(
    createRoute({
      method: 'post', path: '/v1/api-keys', tags, summary: 'Create an API key (the key is in this response only)',
      request: { body: { content: { 'application/json': { schema: CreateApiKeySchema } }, required: true } },
      responses: { 201: json(ApiKeySchema.extend({ key: z.string() }), 'Created; store `key` now, it is never shown again'), ...errorResponses },
    }),
    async (c) => {
      const { key, secret } = await svc.keys.create(c.get('actor'), c.req.valid('json'));
      c.header('Cache-Control', 'no-store');
      return c.json({ ...keyView(key), key: secret }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/v1/api-keys', tags, summary: 'List API keys (prefixes only)',
      request: {
        query: z.object({
          includeRevoked: z.enum(['true', 'false']).optional().openapi({ description: 'Also list revoked keys (with `revokedAt` set). Default false.' }),
        }),
      },
      responses: { 200: json(listOf(ApiKeySchema), 'Keys'), ...errorResponses },
    }),
    async (c) => {
      const keys = await svc.keys.list(c.get('actor'), { includeRevoked: c.req.valid('query').includeRevoked === 'true' });
      return c.json({ data: keys.map(keyView), nextCursor: null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete', path: '/v1/api-keys/{id}', tags, summary: 'Revoke an API key; its next request fails with 401',
      request: { params: z.object({ id: z.string() }) },
      responses: { 204: { description: 'Revoked' }, 404: json(z.any(), 'Not found'), ...errorResponses },
    }),
    async (c) => {
      await svc.keys.revoke(c.get('actor'), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );
}
