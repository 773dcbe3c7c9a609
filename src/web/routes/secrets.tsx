import type { Hono } from 'hono';
import { StandinError, isStandinError } from '../../core/errors.js';
import { httpStatus } from '../../core/http-status.js';
import { getProvider, listProviders } from '../../core/providers.js';
import type { Scope, SecretType } from '../../core/types.js';
import { coordinatesOf } from '../../services/sandboxes.js';
import type { Actor } from '../../services/index.js';
import type { WebEnv } from '../env.js';
import { splitList } from '../form.js';
import { csrfOf, page, type C, type WebCtx } from '../context.js';
import { SecretsList } from '../views/secrets-list.js';
import { SecretNew, emptySecretForm, type SecretFormValues } from '../views/secret-new.js';
import { SecretDetail, type ExplainView, type SecretDetailProps } from '../views/secret-detail.js';
import { Confirm } from '../views/confirm.js';

const SECRET_ID = /^sec_[0-9A-Za-z]+$/;
const SANDBOX_ID = /^sbx_[0-9A-Za-z]+$/;

/** Where a new secret goes when the form names no scope: the caller's own default. */
const defaultScope = (a: Actor): Scope => (a.role !== 'admin' ? 'user' : a.workspaceId ? 'workspace' : 'tenant');

/** Runs a read the key may not be allowed to do; null when it lacks the scope. */
async function optional<T>(f: () => Promise<T>): Promise<T | null> {
  try {
    return await f();
  } catch (e) {
    if (isStandinError(e) && (e.code === 'missing_scope' || e.code === 'forbidden')) return null;
    throw e;
  }
}

/** `/secrets…`: list, add, detail (edit, rotate, versions, usage, explain) and delete. */
export function secretRoutes(app: Hono<WebEnv>, ctx: WebCtx): void {
  const svc = ctx.deps.services;

  app.get('/secrets', async (c) => {
    const q = c.req.query();
    const filters = { q: (q.q ?? '').trim(), provider: q.provider ?? '', scope: q.scope ?? '' };
    let error: StandinError | null = null;
    let result = { data: [] as Awaited<ReturnType<typeof svc.secrets.list>>['data'], nextCursor: null as string | null };
    try {
      result = await svc.secrets.list(c.get('actor'), {
        namePrefix: filters.q || undefined, provider: filters.provider || undefined,
        scope: (filters.scope || undefined) as Scope | undefined, cursor: q.cursor || null, limit: 50,
      });
    } catch (e) {
      if (!isStandinError(e) || e.code !== 'validation_failed') throw e;
      error = e;
    }
    return page(ctx, c, {
      title: 'Secrets', section: 'secrets',
      body: <SecretsList secrets={result.data} nextCursor={result.nextCursor} filters={filters} providers={listProviders()} notice={q.notice} error={error} paged={Boolean(q.cursor)} />,
    });
  });

  app.get('/secrets/new', (c) => {
    const values = emptySecretForm(defaultScope(c.get('actor')));
    const p = getProvider(c.req.query('provider') ?? '');
    if (p) Object.assign(values, { provider: p.id, hosts: p.hosts.join('\n'), exposeAs: p.exposeAs });
    return page(ctx, c, { title: 'Add secret', section: 'secrets', body: <SecretNew values={values} providers={listProviders()} csrf={csrfOf(c)} /> });
  });

  app.post('/secrets', async (c) => {
    const f = c.get('form');
    const values: SecretFormValues = {
      name: f.str('name').trim(), type: f.str('type') || 'token', provider: f.str('provider'), hosts: f.str('hosts'),
      scope: f.str('scope'), scopeId: f.str('scopeId').trim(), exposeAs: f.str('exposeAs').trim(), description: f.str('description'),
      allowInsecureHttp: f.bool('allowInsecureHttp'), bodyPlaceholders: f.bool('bodyPlaceholders'), autoBind: f.bool('autoBind'),
    };
    try {
      const hosts = splitList(values.hosts);
      const type = values.type as SecretType;
      const { secret } = await svc.secrets.create(c.get('actor'), {
        name: values.name,
        value: f.str('value'),
        type,
        username: type === 'basic' ? f.str('username') : undefined,
        provider: values.provider || null,
        // Empty hosts with a provider: the service fills in the catalog's hosts.
        hosts: hosts.length > 0 || !values.provider ? hosts : undefined,
        scope: (values.scope || undefined) as Scope | undefined,
        scopeId: values.scopeId || undefined,
        exposeAs: values.exposeAs || undefined,
        description: values.description.trim() || null,
        allowInsecureHttp: values.allowInsecureHttp,
        bodyPlaceholders: values.bodyPlaceholders,
        autoBind: values.autoBind,
      });
      return c.redirect(`/secrets/${secret.id}?notice=secret-created`, 303);
    } catch (e) {
      if (!isStandinError(e) || e.code === 'internal') throw e;
      return page(ctx, c, {
        title: 'Add secret', section: 'secrets', status: httpStatus(e.code),
        body: <SecretNew values={values} providers={listProviders()} csrf={csrfOf(c)} error={e} />,
      });
    }
  });

  /** Loads everything the detail page shows; the forms' errors and entries come from the caller. */
  async function detail(c: C, id: string, extra: Partial<SecretDetailProps> = {}, status = 200) {
    if (!SECRET_ID.test(id)) throw new StandinError('not_found', 'secret not found');
    const actor = c.get('actor');
    const secret = await svc.secrets.get(actor, id);
    const [versions, usage, sandboxes] = await Promise.all([
      svc.secrets.versions(actor, id),
      svc.secrets.usage(actor, id, undefined, 20),
      optional(async () => (await svc.sandboxes.list(actor, { limit: 100 })).data),
    ]);
    let explain: ExplainView | null = null;
    let explainError: StandinError | null = null;
    const sandboxId = c.req.query('sandbox');
    if (sandboxId && c.req.method === 'GET') {
      try {
        if (!SANDBOX_ID.test(sandboxId)) throw new StandinError('not_found', 'sandbox not found');
        const { sandbox } = await svc.sandboxes.get(actor, sandboxId);
        const { tenantId: _t, ...coords } = coordinatesOf(sandbox);
        const r = await svc.secrets.explain(actor, secret.name, coords);
        explain = { sandboxId, steps: r.steps, resolved: r.resolved, reason: r.reason };
      } catch (e) {
        if (!isStandinError(e) || e.code === 'internal') throw e;
        explainError = e;
      }
    }
    return page(ctx, c, {
      title: secret.name, section: 'secrets', status,
      body: (
        <SecretDetail
          secret={secret} provider={secret.provider ? getProvider(secret.provider) : undefined} versions={versions} usage={usage}
          sandboxes={sandboxes} explain={explain} explainError={explainError} csrf={csrfOf(c)} notice={c.req.query('notice')} {...extra}
        />
      ),
    });
  }

  app.get('/secrets/:id', (c) => detail(c, c.req.param('id')));

  app.post('/secrets/:id', async (c) => {
    const id = c.req.param('id');
    const f = c.get('form');
    const edit = { hosts: f.str('hosts'), description: f.str('description'), exposeAs: f.str('exposeAs').trim() };
    try {
      await svc.secrets.update(c.get('actor'), id, {
        hosts: splitList(edit.hosts),
        description: edit.description.trim() || null,
        ...(edit.exposeAs ? { exposeAs: edit.exposeAs } : {}),
      });
      return c.redirect(`/secrets/${id}?notice=secret-updated`, 303);
    } catch (e) {
      if (!isStandinError(e) || e.code === 'internal' || e.code === 'not_found') throw e;
      return detail(c, id, { editError: e, edit }, httpStatus(e.code));
    }
  });

  app.post('/secrets/:id/rotate', async (c) => {
    const id = c.req.param('id');
    const f = c.get('form');
    try {
      const username = f.opt('username');
      await svc.secrets.rotate(c.get('actor'), id, { value: f.str('value'), ...(username ? { username } : {}) });
      return c.redirect(`/secrets/${id}?notice=secret-rotated`, 303);
    } catch (e) {
      if (!isStandinError(e) || e.code === 'internal' || e.code === 'not_found') throw e;
      return detail(c, id, { rotateError: e }, httpStatus(e.code));
    }
  });

  app.get('/secrets/:id/delete', async (c) => {
    const id = c.req.param('id');
    if (!SECRET_ID.test(id)) throw new StandinError('not_found', 'secret not found');
    const s = await svc.secrets.get(c.get('actor'), id);
    return page(ctx, c, {
      title: `Delete ${s.name}`, section: 'secrets',
      body: (
        <Confirm title={`Delete secret “${s.name}”?`} crumb={{ href: `/secrets/${id}`, label: s.name }} action={`/secrets/${id}/delete`} button="Delete" cancelHref={`/secrets/${id}`} csrf={csrfOf(c)}>
          <p>All {s.version} version{s.version === 1 ? '' : 's'} of the value are deleted. Sandboxes that bind <code>{s.name}</code> fall back to a less specific secret of the same name, or stop working for it. This cannot be undone.</p>
        </Confirm>
      ),
    });
  });

  app.post('/secrets/:id/delete', async (c) => {
    await svc.secrets.delete(c.get('actor'), c.req.param('id'));
    return c.redirect('/secrets?notice=secret-deleted', 303);
  });
}

