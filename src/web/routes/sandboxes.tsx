import type { Hono } from 'hono';
import { StandinError, isStandinError } from '../../core/errors.js';
import { httpStatus } from '../../core/http-status.js';
import type { SecretMeta } from '../../core/types.js';
import type { WebEnv } from '../env.js';
import { parseEnvLines, splitList } from '../form.js';
import { csrfOf, page, type C, type WebCtx } from '../context.js';
import { SandboxesList } from '../views/sandboxes-list.js';
import { SandboxNew, emptySandboxForm, type SandboxFormValues } from '../views/sandbox-new.js';
import { SandboxCreated } from '../views/sandbox-created.js';
import { SandboxDetail } from '../views/sandbox-detail.js';
import { Confirm } from '../views/confirm.js';

const SANDBOX_ID = /^sbx_[0-9A-Za-z]+$/;
const DECISIONS = new Set(['allowed', 'blocked', 'error']);

/** One `KEY=value` line for a .env file; quoted when the value has anything a shell would read. */
function envLine(k: string, v: string): string {
  return /^[A-Za-z0-9_./:@%+,=~-]*$/.test(v) ? `${k}=${v}` : `${k}='${v.replace(/'/g, `'\\''`)}'`;
}

/** `/sandboxes…`: list, create (environment shown once), detail with network log, delete. */
export function sandboxRoutes(app: Hono<WebEnv>, ctx: WebCtx): void {
  const svc = ctx.deps.services;

  async function bindable(c: C): Promise<{ secrets: SecretMeta[]; hidden: boolean }> {
    try {
      return { secrets: (await svc.secrets.list(c.get('actor'), { limit: 200 })).data, hidden: false };
    } catch (e) {
      if (isStandinError(e) && e.code === 'missing_scope') return { secrets: [], hidden: true };
      throw e;
    }
  }

  async function form(c: C, values: SandboxFormValues, error: StandinError | null = null) {
    const { secrets, hidden } = await bindable(c);
    return page(ctx, c, {
      title: 'Create sandbox', section: 'sandboxes', status: error ? httpStatus(error.code) : 200,
      body: <SandboxNew secrets={secrets} secretsHidden={hidden} values={values} csrf={csrfOf(c)} error={error} />,
    });
  }

  app.get('/sandboxes', async (c) => {
    const cursor = c.req.query('cursor') || null;
    const r = await svc.sandboxes.list(c.get('actor'), { cursor, limit: 50 });
    return page(ctx, c, {
      title: 'Sandboxes', section: 'sandboxes',
      body: <SandboxesList sandboxes={r.data} nextCursor={r.nextCursor} notice={c.req.query('notice')} paged={Boolean(cursor)} />,
    });
  });

  app.get('/sandboxes/new', (c) => form(c, emptySandboxForm()));

  app.post('/sandboxes', async (c) => {
    const f = c.get('form');
    const values: SandboxFormValues = {
      ...emptySandboxForm(),
      name: f.str('name').trim(), env: f.str('env'), allowHosts: f.str('allowHosts'),
      workspaceId: f.str('workspaceId').trim(), externalWorkspace: f.str('externalWorkspace').trim(),
      externalUser: f.str('externalUser').trim(), sessionId: f.str('sessionId').trim(),
    };
    for (const name of f.all('bind')) values.bind.set(name, f.str(`env:${name}`).trim());
    for (const name of f.all('bind')) values.envNames.set(name, f.str(`env:${name}`).trim());
    try {
      const plain = parseEnvLines(values.env);
      if (plain.bad) throw new StandinError('validation_failed', `plain environment variables: ${plain.bad}`, { field: 'env' });
      const secrets: Record<string, string> = {};
      for (const [name, envName] of values.bind) {
        if (!envName) throw new StandinError('validation_failed', `give an env name for ${name}`, { field: 'secrets' });
        if (secrets[envName]) throw new StandinError('validation_failed', `${envName} is bound twice`, { field: 'secrets' });
        secrets[envName] = name;
      }
      const allow = splitList(values.allowHosts);
      const created = await svc.sandboxes.create(c.get('actor'), {
        name: values.name || null,
        secrets,
        env: plain.env,
        egress: { allowHosts: allow.length ? allow : null },
        workspaceId: values.workspaceId || null,
        externalWorkspace: values.externalWorkspace || null,
        externalUser: values.externalUser || null,
        sessionId: values.sessionId || null,
      });
      // Env-mode bindings carry real values; the dashboard creates none, and would never show one.
      const injected = new Set(created.bindings.filter((b) => b.mode === 'env').map((b) => b.envName));
      const envText = Object.entries(created.env).filter(([k]) => !injected.has(k)).map(([k, v]) => envLine(k, v)).join('\n');
      return page(ctx, c, {
        title: 'Sandbox created', section: 'sandboxes', status: 201,
        body: <SandboxCreated sandbox={created.sandbox} bindings={created.bindings} envText={envText} proxyUrl={created.proxyUrl} caCertPem={created.caCertPem} />,
      });
    } catch (e) {
      if (!isStandinError(e) || e.code === 'internal') throw e;
      return form(c, values, e);
    }
  });

  app.get('/sandboxes/:id', async (c) => {
    const id = c.req.param('id');
    if (!SANDBOX_ID.test(id)) throw new StandinError('not_found', 'sandbox not found');
    const actor = c.get('actor');
    const decision = DECISIONS.has(c.req.query('decision') ?? '') ? (c.req.query('decision') as string) : '';
    const cursor = c.req.query('cursor') || null;
    const { sandbox, bindings } = await svc.sandboxes.get(actor, id);
    const events = await svc.sandboxes.egress(actor, id, { cursor, limit: 50, decision: decision || undefined });
    const secretNames = new Map(bindings.flatMap((b) => (b.resolved ? [[b.resolved.secretId, b.secretName] as const] : [])));
    return page(ctx, c, {
      title: sandbox.name ?? sandbox.id, section: 'sandboxes',
      body: (
        <SandboxDetail
          sandbox={sandbox} bindings={bindings} notice={c.req.query('notice')}
          log={{ sandboxId: id, events: events.data, nextCursor: events.nextCursor, decision, paged: Boolean(cursor), secretNames }}
        />
      ),
    });
  });

  app.get('/sandboxes/:id/delete', async (c) => {
    const id = c.req.param('id');
    if (!SANDBOX_ID.test(id)) throw new StandinError('not_found', 'sandbox not found');
    const { sandbox } = await svc.sandboxes.get(c.get('actor'), id);
    const label = sandbox.name ?? sandbox.id;
    return page(ctx, c, {
      title: `Delete ${label}`, section: 'sandboxes',
      body: (
        <Confirm title={`Delete sandbox “${label}”?`} crumb={{ href: `/sandboxes/${id}`, label }} action={`/sandboxes/${id}/delete`} button="Delete" cancelHref={`/sandboxes/${id}`} csrf={csrfOf(c)}>
          <p>Its placeholders and proxy credential stop working on their next request. Secrets scoped to this sandbox are no longer reachable. This cannot be undone.</p>
        </Confirm>
      ),
    });
  });

  app.post('/sandboxes/:id/delete', async (c) => {
    await svc.sandboxes.delete(c.get('actor'), c.req.param('id'));
    return c.redirect('/sandboxes?notice=sandbox-deleted', 303);
  });
}
