import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Services } from '../../services/index.js';
import type { SecretMeta } from '../../core/types.js';
import type { ApiEnv } from '../env.js';
import {
  CoordinatesQuery, CreateSecretSchema, EgressEventSchema, PageQuery, RotateSchema, ScopeEnum, ScopeQuery, SecretSchema,
  UpdateSecretSchema, VersionSchema, errorResponses, json, listOf,
} from '../schemas.js';

const tags = ['secrets'];
const IdParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, description: 'Secret id, or its name at your own scope (or the scope given in the query).' }) });

/** The public view of a secret: metadata only (createdBy stays internal). */
export const secretView = (s: SecretMeta) => {
  const { tenantId: _t, createdBy: _c, ...rest } = s;
  return rest;
};

export function secretRoutes(app: OpenAPIHono<ApiEnv>, svc: Services): void {
  app.openapi(
    createRoute({
      method: 'post', path: '/v1/secrets', tags, summary: 'Create a secret',
      request: { body: { content: { 'application/json': { schema: CreateSecretSchema } }, required: true } },
      responses: { 201: json(SecretSchema, 'Created'), 200: json(SecretSchema, 'Existing secret rotated (ifExists: rotate)'), 409: json(z.any(), 'Exists at this scope'), ...errorResponses },
    }),
    async (c) => {
      const r = await svc.secrets.create(c.get('actor'), c.req.valid('json'));
      return c.json(secretView(r.secret), r.rotated ? 200 : 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/v1/secrets', tags, summary: 'List secrets (metadata only)',
      request: { query: PageQuery.extend({ prefix: z.string().optional(), scope: ScopeEnum.optional(), provider: z.string().optional() }) },
      responses: { 200: json(listOf(SecretSchema), 'A page of secrets'), ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const page = await svc.secrets.list(c.get('actor'), { namePrefix: q.prefix, scope: q.scope, provider: q.provider, cursor: q.cursor, limit: q.limit });
      return c.json({ data: page.data.map(secretView), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/v1/secrets/explain', tags, summary: 'Show how a name resolves for given coordinates',
      request: { query: CoordinatesQuery.extend({ name: z.string() }) },
      responses: { 200: json(z.any(), 'The resolution, level by level'), ...errorResponses },
    }),
    async (c) => {
      const { name, ...coords } = c.req.valid('query');
      return c.json(await svc.secrets.explain(c.get('actor'), name, coords), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/v1/secrets/{id}', tags, summary: 'One secret (metadata only)',
      request: { params: IdParam, query: ScopeQuery },
      responses: { 200: json(SecretSchema, 'The secret'), 404: json(z.any(), 'Not found'), ...errorResponses },
    }),
    async (c) => c.json(secretView(await svc.secrets.get(c.get('actor'), c.req.valid('param').id, c.req.valid('query'))), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch', path: '/v1/secrets/{id}', tags, summary: 'Change hosts, description, exposeAs or flags',
      request: { params: IdParam, query: ScopeQuery, body: { content: { 'application/json': { schema: UpdateSecretSchema } }, required: true } },
      responses: { 200: json(SecretSchema, 'Updated'), 404: json(z.any(), 'Not found'), ...errorResponses },
    }),
    async (c) => c.json(secretView(await svc.secrets.update(c.get('actor'), c.req.valid('param').id, c.req.valid('json'), c.req.valid('query'))), 200),
  );

  app.openapi(
    createRoute({
      method: 'delete', path: '/v1/secrets/{id}', tags, summary: 'Delete a secret and all its versions',
      request: { params: IdParam, query: ScopeQuery },
      responses: { 204: { description: 'Deleted' }, 404: json(z.any(), 'Not found'), ...errorResponses },
    }),
    async (c) => {
      await svc.secrets.delete(c.get('actor'), c.req.valid('param').id, c.req.valid('query'));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/v1/secrets/{id}/rotate', tags, summary: 'Store a new value as the next version',
      request: { params: IdParam, query: ScopeQuery, body: { content: { 'application/json': { schema: RotateSchema } }, required: true } },
      responses: { 200: json(SecretSchema, 'Rotated'), 404: json(z.any(), 'Not found'), ...errorResponses },
    }),
    async (c) => c.json(secretView(await svc.secrets.rotate(c.get('actor'), c.req.valid('param').id, c.req.valid('json'), c.req.valid('query'))), 200),
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/v1/secrets/{id}/versions', tags, summary: 'Versions (metadata only)',
      request: { params: IdParam, query: ScopeQuery },
      responses: { 200: json(listOf(VersionSchema), 'Versions, newest first'), ...errorResponses },
    }),
    async (c) => {
      const versions = await svc.secrets.versions(c.get('actor'), c.req.valid('param').id, c.req.valid('query'));
      return c.json({ data: versions.map(({ secretId: _s, ...v }) => v), nextCursor: null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/v1/secrets/{id}/usage', tags, summary: 'Recent requests that used this secret',
      request: { params: IdParam, query: ScopeQuery.extend({ limit: z.coerce.number().int().min(1).max(500).optional() }) },
      responses: { 200: json(listOf(EgressEventSchema), 'Egress events, newest first'), ...errorResponses },
    }),
    async (c) => {
      const { limit, ...at } = c.req.valid('query');
      const events = await svc.secrets.usage(c.get('actor'), c.req.valid('param').id, at, limit);
      return c.json({ data: events.map(({ tenantId: _t, ...e }) => e), nextCursor: null }, 200);
    },
  );
}
