import type { Hono } from 'hono';
import { StandinError, isStandinError } from '../../core/errors.js';
import { httpStatus } from '../../core/http-status.js';
import { API_SCOPES, type ApiScope } from '../../core/types.js';
import { MEMBER_SCOPES } from '../../services/keys.js';
import { hasScope } from '../../services/actor.js';
import type { WebEnv } from '../env.js';
import { csrfOf, page, type C, type WebCtx } from '../context.js';
import { KeyCreated, KeysPage, type KeyFormValues } from '../views/keys.js';
import { Confirm } from '../views/confirm.js';

const KEY_ID = /^key_[0-9A-Za-z]+$/;
const DATE = /^\d{4}-\d\d-\d\d$/;

/** `/keys`: list, create (shown once), revoke. */
export function keyRoutes(app: Hono<WebEnv>, ctx: WebCtx): void {
  const svc = ctx.deps.services;

  async function list(c: C, values?: KeyFormValues, error: StandinError | null = null) {
    const actor = c.get('actor');
    const keys = await svc.keys.list(actor, { includeRevoked: true });
    const defaults = { name: '', scopes: MEMBER_SCOPES.filter((s) => hasScope(actor, s)), expires: '' };
    return page(ctx, c, {
      title: 'API keys', section: 'keys', status: error ? httpStatus(error.code) : 200,
      body: (
        <KeysPage
          keys={keys} held={actor.scopes} currentKeyId={c.get('session')?.keyId ?? ''} csrf={csrfOf(c)} values={values ?? defaults}
          error={error} notice={c.req.query('notice')} canWrite={hasScope(actor, 'keys:write')}
        />
      ),
    });
  }

  app.get('/keys', (c) => list(c));

  app.post('/keys', async (c) => {
    const f = c.get('form');
    const values: KeyFormValues = { name: f.str('name').trim(), scopes: f.all('scopes'), expires: f.str('expires').trim() };
    try {
      if (!values.name) throw new StandinError('validation_failed', 'give the key a name', { field: 'name' });
      if (values.scopes.length === 0) throw new StandinError('validation_failed', 'pick at least one scope', { field: 'scopes' });
      if (values.scopes.some((s) => !(API_SCOPES as readonly string[]).includes(s))) throw new StandinError('validation_failed', 'unknown scope', { field: 'scopes' });
      if (values.expires && !DATE.test(values.expires)) throw new StandinError('validation_failed', 'the expiry is not a date', { field: 'expires' });
      const expiresAt = values.expires ? `${values.expires}T23:59:59.999Z` : null;
      if (expiresAt && Date.parse(expiresAt) <= Date.now()) throw new StandinError('validation_failed', 'the expiry date is in the past', { field: 'expires' });
      const { key, secret } = await svc.keys.create(c.get('actor'), { name: values.name, scopes: values.scopes as ApiScope[], expiresAt });
      return page(ctx, c, { title: 'API key created', section: 'keys', status: 201, body: <KeyCreated apiKey={key} secret={secret} /> });
    } catch (e) {
      if (!isStandinError(e) || e.code === 'internal') throw e;
      return list(c, values, e);
    }
  });

  app.get('/keys/:id/revoke', async (c) => {
    const id = c.req.param('id');
    if (!KEY_ID.test(id)) throw new StandinError('not_found', 'API key not found');
    const key = (await svc.keys.list(c.get('actor'))).find((k) => k.id === id);
    if (!key) throw new StandinError('not_found', 'API key not found');
    const own = c.get('session')?.keyId === id;
    return page(ctx, c, {
      title: `Revoke ${key.name}`, section: 'keys',
      body: (
        <Confirm title={`Revoke API key “${key.name}”?`} crumb={{ href: '/keys', label: 'API keys' }} action={`/keys/${id}/revoke`} button="Revoke" cancelHref="/keys" csrf={csrfOf(c)}>
          <p>Every client using <code>{key.prefix}…</code> is refused from its next request on, on every standin instance. This cannot be undone.</p>
          {own ? <div class="notice notice-warn" role="status">You are signed in with this key: revoking it signs you out.</div> : null}
        </Confirm>
      ),
    });
  });

  app.post('/keys/:id/revoke', async (c) => {
    await svc.keys.revoke(c.get('actor'), c.req.param('id'));
    // Revoking the session's own key: the next request re-authenticates and lands on sign-in.
    return c.redirect('/keys?notice=key-revoked', 303);
  });
}
