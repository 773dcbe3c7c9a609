import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Services } from '../../services/index.js';
import type { ApiEnv } from '../env.js';
import { SecretSchema, errorResponses, json, listOf } from '../schemas.js';
import { secretView } from './secrets.js';

const tags = ['sessions'];
const Sid = z.object({ sid: z.string().openapi({ param: { name: 'sid', in: 'path' } }) });
const Entry = z.union([z.string(), z.strictObject({ value: z.string(), hosts: z.array(z.string()).optional(), provider: z.string().optional(), exposeAs: z.string().optional() })]);

export function sessionRoutes(app: OpenAPIHono<ApiEnv>, svc: Services): void {
  app.openapi(
    createRoute({
      method: 'post', path: '/v1/sessions/{sid}/secrets', tags, summary: 'Upsert session-scoped secrets: { NAME: value, … }',
      request: { params: Sid, body: { content: { 'application/json': { schema: z.record(z.string(), Entry) } }, required: true } },
      responses: { 200: json(z.object({ data: z.array(SecretSchema) }), 'The secrets, metadata only'), ...errorResponses },
    }),
    async (c) => {
      const out = await svc.sessions.set(c.get('actor'), c.req.valid('param').sid, c.req.valid('json'));
      return c.json({ data: out.map(secretView) }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get', path: '/v1/sessions/{sid}/secrets', tags, summary: 'Names and timestamps of a session’s secrets',
      request: { params: Sid },
      responses: { 200: json(listOf(z.object({ name: z.string(), version: z.number(), createdAt: z.string(), updatedAt: z.string() })), 'Names only'), ...errorResponses },
    }),
    async (c) => c.json({ data: await svc.sessions.list(c.get('actor'), c.req.valid('param').sid), nextCursor: null }, 200),
  );
  app.openapi(
    createRoute({
      method: 'delete', path: '/v1/sessions/{sid}/secrets/{name}', tags, summary: 'Delete one session secret',
      request: { params: Sid.extend({ name: z.string() }) },
      responses: { 204: { description: 'Deleted' }, 404: json(z.any(), 'Not found'), ...errorResponses },
    }),
    async (c) => {
      const p = c.req.valid('param');
      await svc.sessions.delete(c.get('actor'), p.sid, p.name);
      return c.body(null, 204);
    },
  );
}
