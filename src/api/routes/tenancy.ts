import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Services } from '../../services/index.js';
import type { ApiEnv } from '../env.js';
import { UserSchema, WorkspaceSchema, errorResponses, json, listOf } from '../schemas.js';

export function tenancyRoutes(app: OpenAPIHono<ApiEnv>, svc: Services): void {
  app.openapi(
    createRoute({
      method: 'post', path: '/v1/workspaces', tags: ['workspaces'], summary: 'Create a workspace (admin)',
      request: { body: { content: { 'application/json': { schema: z.strictObject({ name: z.string() }) } }, required: true } },
      responses: { 201: json(WorkspaceSchema, 'Created'), ...errorResponses },
    }),
    async (c) => {
      const { tenantId: _t, ...w } = await svc.tenancy.createWorkspace(c.get('actor'), c.req.valid('json').name);
      return c.json(w, 201);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/v1/workspaces', tags: ['workspaces'], summary: 'List workspaces', responses: { 200: json(listOf(WorkspaceSchema), 'Workspaces'), ...errorResponses } }),
    async (c) => c.json({ data: (await svc.tenancy.listWorkspaces(c.get('actor'))).map(({ tenantId: _t, ...w }) => w), nextCursor: null }, 200),
  );
  app.openapi(
    createRoute({
      method: 'post', path: '/v1/users', tags: ['users'], summary: 'Create a user (admin)',
      request: { body: { content: { 'application/json': { schema: z.strictObject({ name: z.string(), email: z.string().email().nullable().optional(), role: z.enum(['admin', 'member']).optional() }) } }, required: true } },
      responses: { 201: json(UserSchema, 'Created'), ...errorResponses },
    }),
    async (c) => {
      const { tenantId: _t, ...u } = await svc.tenancy.createUser(c.get('actor'), c.req.valid('json'));
      return c.json(u, 201);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/v1/users', tags: ['users'], summary: 'List users (admin)', responses: { 200: json(listOf(UserSchema), 'Users'), ...errorResponses } }),
    async (c) => c.json({ data: (await svc.tenancy.listUsers(c.get('actor'))).map(({ tenantId: _t, ...u }) => u), nextCursor: null }, 200),
  );
}
