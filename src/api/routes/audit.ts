import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Services } from '../../services/index.js';
import type { ApiEnv } from '../env.js';
import { AuditEventSchema, PageQuery, errorResponses, json, listOf } from '../schemas.js';

const tags = ['audit'];

export function auditRoutes(app: OpenAPIHono<ApiEnv>, svc: Services): void {
  app.openapi(
    createRoute({
      method: 'get', path: '/v1/audit', tags, summary: 'Audit log, newest first',
      request: {
        query: PageQuery.extend({
          apiKeyId: z.string().optional(), workspaceId: z.string().optional(),
          action: z.string().optional().openapi({ description: 'Exact action, or a prefix ending in * (secrets.*)' }),
          target: z.string().optional(), since: z.string().optional(), until: z.string().optional(),
        }),
      },
      responses: { 200: json(listOf(AuditEventSchema), 'Audit rows'), ...errorResponses },
    }),
    async (c) => {
      const page = await svc.audit.list(c.get('actor'), c.req.valid('query'));
      return c.json({ data: page.data.map(({ tenantId: _t, ...e }) => e), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/v1/audit/verify', tags, summary: "Verify the tenant's audit hash chain",
      responses: { 200: json(z.object({ ok: z.boolean(), rows: z.number(), brokenAt: z.any() }), 'Verification report'), ...errorResponses },
    }),
    async (c) => c.json(await svc.audit.verify(c.get('actor')), 200),
  );
}
