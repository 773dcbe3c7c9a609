import type { Hono } from 'hono';
import { StandinError, isStandinError } from '../../core/errors.js';
import type { AuditEvent } from '../../core/types.js';
import type { WebEnv } from '../env.js';
import { fromLocalInput, qs } from '../format.js';
import { page, type WebCtx } from '../context.js';
import { AuditPage, type AuditFilters } from '../views/audit.js';

const ACTION = /^[a-z_.]{1,64}\*?$/;
const KEY_ID = /^key_[0-9A-Za-z]+$/;
const LOCAL_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/;

/** `/audit`: filter by action, key and time; the chain verification status on top. */
export function auditRoutes(app: Hono<WebEnv>, ctx: WebCtx): void {
  const svc = ctx.deps.services;

  app.get('/audit', async (c) => {
    const actor = c.get('actor');
    const q = c.req.query();
    const filters: AuditFilters = {
      action: (q.action ?? '').trim(), key: (q.key ?? '').trim(),
      since: LOCAL_TIME.test(q.since ?? '') ? (q.since as string) : '', until: LOCAL_TIME.test(q.until ?? '') ? (q.until as string) : '',
    };
    let error: StandinError | null = null;
    if (filters.action && !ACTION.test(filters.action)) error = new StandinError('validation_failed', 'an action is lower-case words joined by dots, optionally ending in * (e.g. secrets.*)');
    if (filters.key && !KEY_ID.test(filters.key)) error = new StandinError('validation_failed', 'an API key id looks like key_…');
    const cursor = q.cursor || null;
    let page1: { data: AuditEvent[]; nextCursor: string | null } = { data: [], nextCursor: null };
    if (!error) {
      page1 = await svc.audit.list(actor, {
        action: filters.action || undefined, apiKeyId: filters.key || undefined,
        since: fromLocalInput(filters.since), until: fromLocalInput(filters.until), cursor, limit: 50,
      });
    }
    const [chain, keys] = await Promise.all([
      svc.audit.verify(actor),
      // Revoked keys too: their rows stay in the log and must stay selectable.
      svc.keys.list(actor, { includeRevoked: true }).catch((e) => {
        if (isStandinError(e) && e.code === 'missing_scope') return null;
        throw e;
      }),
    ]);
    const href = (cur?: string) => `/audit${qs({ ...filters, cursor: cur })}`;
    return page(ctx, c, {
      title: 'Audit log', section: 'audit', status: error ? 400 : 200,
      body: <AuditPage events={page1.data} nextCursor={page1.nextCursor} filters={filters} keys={keys} chain={chain} error={error} href={href} paged={Boolean(cursor)} />,
    });
  });
}
