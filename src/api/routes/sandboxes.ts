import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Services } from '../../services/index.js';
import type { Sandbox } from '../../core/types.js';
import type { ApiEnv } from '../env.js';
import { EgressEventSchema, PageQuery, errorResponses, json, listOf } from '../schemas.js';

const tags = ['sandboxes'];
const Id = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) });

const SandboxSchema = z
  .object({
    id: z.string(), name: z.string().nullable(), workspaceId: z.string().nullable(), userId: z.string().nullable(),
    externalWorkspace: z.string().nullable(), externalUser: z.string().nullable(), sessionId: z.string().nullable(),
    egress: z.object({ allowHosts: z.array(z.string()).nullable() }), env: z.record(z.string(), z.string()),
    ephemeral: z.boolean(), createdAt: z.string(),
  })
  .openapi('Sandbox');

const BindingSchema = z
  .object({
    envName: z.string(), secretName: z.string(), mode: z.enum(['proxy', 'env']),
    resolved: z.object({ secretId: z.string(), scope: z.string(), scopeRef: z.string(), version: z.number() }).nullable(),
  })
  .openapi('Binding');

const CreateSandboxSchema = z
  .strictObject({
    name: z.string().max(128).nullable().optional(),
    workspaceId: z.string().nullable().optional(),
    userId: z.string().nullable().optional(),
    externalWorkspace: z.string().max(256).nullable().optional(),
    externalUser: z.string().max(256).nullable().optional(),
    sessionId: z.string().max(128).nullable().optional(),
    secrets: z.record(z.string(), z.string()).optional().openapi({ description: 'ENV_NAME → secret name, bound in proxy mode (the env var holds a placeholder).' }),
    inject: z.array(z.string()).optional().openapi({ description: 'Secrets whose real value is put into the env at creation: "name" or "ENV=name".' }),
    env: z.record(z.string(), z.string()).optional(),
    egress: z.strictObject({ allowHosts: z.array(z.string()).nullable().optional() }).optional(),
    ephemeral: z.boolean().optional(),
  })
  .openapi('CreateSandbox');

const sandboxView = ({ tenantId: _t, createdBy: _c, ...s }: Sandbox) => s;

export function sandboxRoutes(app: OpenAPIHono<ApiEnv>, svc: Services): void {
  app.openapi(
    createRoute({
      method: 'post', path: '/v1/sandboxes', tags, summary: 'Create a sandbox: bindings, env, proxy URL and CA',
      request: { body: { content: { 'application/json': { schema: CreateSandboxSchema } }, required: true } },
      responses: {
        201: json(z.object({ id: z.string(), sandbox: SandboxSchema, bindings: z.array(BindingSchema), env: z.record(z.string(), z.string()), proxyUrl: z.string(), caCertPem: z.string() }), 'Created. `env` and `proxyUrl` hold credentials shown only here.'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const r = await svc.sandboxes.create(c.get('actor'), c.req.valid('json'));
      c.header('Cache-Control', 'no-store');
      return c.json({ id: r.sandbox.id, sandbox: sandboxView(r.sandbox), bindings: r.bindings, env: r.env, proxyUrl: r.proxyUrl, caCertPem: r.caCertPem }, 201);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/v1/sandboxes', tags, summary: 'List sandboxes', request: { query: PageQuery }, responses: { 200: json(listOf(SandboxSchema), 'Sandboxes'), ...errorResponses } }),
    async (c) => {
      const page = await svc.sandboxes.list(c.get('actor'), c.req.valid('query'));
      return c.json({ data: page.data.map(sandboxView), nextCursor: page.nextCursor }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get', path: '/v1/sandboxes/{id}', tags, summary: 'One sandbox with its bindings (never placeholders or values)',
      request: { params: Id },
      responses: { 200: json(SandboxSchema.extend({ bindings: z.array(BindingSchema) }), 'The sandbox'), 404: json(z.any(), 'Not found'), ...errorResponses },
    }),
    async (c) => {
      const r = await svc.sandboxes.get(c.get('actor'), c.req.valid('param').id);
      return c.json({ ...sandboxView(r.sandbox), bindings: r.bindings }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'delete', path: '/v1/sandboxes/{id}', tags, summary: 'Delete a sandbox; its placeholders stop working on the next request',
      request: { params: Id },
      responses: { 204: { description: 'Deleted' }, 404: json(z.any(), 'Not found'), ...errorResponses },
    }),
    async (c) => {
      await svc.sandboxes.delete(c.get('actor'), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );
  app.openapi(
    createRoute({
      method: 'get', path: '/v1/sandboxes/{id}/egress', tags, summary: "The sandbox's network log",
      request: { params: Id, query: PageQuery.extend({ decision: z.enum(['allowed', 'blocked', 'error']).optional() }) },
      responses: { 200: json(listOf(EgressEventSchema), 'Egress events, newest first'), ...errorResponses },
    }),
    async (c) => {
      const page = await svc.sandboxes.egress(c.get('actor'), c.req.valid('param').id, c.req.valid('query'));
      return c.json({ data: page.data.map(({ tenantId: _t, ...e }) => e), nextCursor: page.nextCursor }, 200);
    },
  );
}
